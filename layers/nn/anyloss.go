package nn

import (
	"fmt"
	"math"
)

// Metric is a binary-classification metric computed from a confusion
// matrix (TP, FN, FP, TN).
type Metric int

const (
	F1               Metric = iota // 2TP / (2TP + FP + FN)
	FBeta                          // (1+β²)TP / ((1+β²)TP + β²FN + FP)
	BalancedAccuracy               // (TP/(TP+FN) + TN/(TN+FP)) / 2
	Accuracy                       // (TP+TN) / n
	GeometricMean                  // √(TPR · TNR)
)

func (m Metric) String() string {
	switch m {
	case F1:
		return "F1"
	case FBeta:
		return "Fβ"
	case BalancedAccuracy:
		return "balanced accuracy"
	case Accuracy:
		return "accuracy"
	case GeometricMean:
		return "G-mean"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// Confusion is a (possibly smooth) confusion matrix.
type Confusion struct{ TP, FN, FP, TN float64 }

// Value returns the metric of the confusion matrix and its partial
// derivatives with respect to TP, FN, FP, TN. Undefined ratios (0/0) count
// as 0 with zero derivatives. Value has no error return: an unknown Metric
// is computed as Accuracy (AnyLoss.Eval rejects it with ErrInvalid).
func (m Metric) Value(c Confusion, beta float64) (v float64, d Confusion) {
	ratio := func(num, den float64) float64 {
		if den == 0 {
			return 0
		}
		return num / den
	}
	switch m {
	case FBeta, F1:
		b2 := 1.0
		if m == FBeta {
			b2 = beta * beta
		}
		den := (1+b2)*c.TP + b2*c.FN + c.FP
		if den == 0 {
			return 0, d
		}
		v = (1 + b2) * c.TP / den
		d.TP = (1+b2)/den - v*(1+b2)/den
		d.FN = -v * b2 / den
		d.FP = -v / den
		return v, d
	case BalancedAccuracy, GeometricMean:
		p, n := c.TP+c.FN, c.TN+c.FP
		tpr, tnr := ratio(c.TP, p), ratio(c.TN, n)
		var dtpr, dtnr Confusion
		if p != 0 {
			dtpr.TP, dtpr.FN = c.FN/(p*p), -c.TP/(p*p)
		}
		if n != 0 {
			dtnr.TN, dtnr.FP = c.FP/(n*n), -c.TN/(n*n)
		}
		if m == BalancedAccuracy {
			v = (tpr + tnr) / 2
			return v, Confusion{dtpr.TP / 2, dtpr.FN / 2, dtnr.FP / 2, dtnr.TN / 2}
		}
		v = math.Sqrt(tpr * tnr)
		if v == 0 {
			return 0, d
		}
		a, b := tnr/(2*v), tpr/(2*v)
		return v, Confusion{a * dtpr.TP, a * dtpr.FN, b * dtnr.FP, b * dtnr.TN}
	default: // Accuracy
		n := c.TP + c.FN + c.FP + c.TN
		if n == 0 {
			return 0, d
		}
		v = (c.TP + c.TN) / n
		return v, Confusion{(1 - v) / n, -v / n, -v / n, (1 - v) / n}
	}
}

// AnyLoss turns a confusion-matrix metric into a differentiable loss
// (Han, Moniz, Chawla, "AnyLoss: Transforming Classification Metrics into
// Loss Functions", KDD 2024). For logits zᵢ and labels yᵢ ∈ {0, 1}, the
// class probability pᵢ = σ(zᵢ) is pushed towards 0 or 1 by the
// approximation function
//
//	aᵢ = 1 / (1 + exp(−L (pᵢ − ½))),
//
// and the confusion matrix is filled with soft counts
//
//	TP = Σ yᵢaᵢ,  FN = Σ yᵢ(1−aᵢ),  FP = Σ (1−yᵢ)aᵢ,  TN = Σ (1−yᵢ)(1−aᵢ).
//
// The loss is 1 − metric(TP, FN, FP, TN). Amplify is L (default 73, the
// value recommended in the paper); Beta is β of [FBeta] (default 1).
type AnyLoss struct {
	Metric  Metric
	Amplify float64
	Beta    float64
}

// Eval returns the loss on a batch of logits with labels in {0, 1} and
// writes ∂loss/∂logits into grad (may be nil). grad may alias logits.
func (l AnyLoss) Eval(grad, logits, labels []float64) (float64, error) {
	if len(logits) != len(labels) || (grad != nil && len(grad) != len(logits)) {
		return 0, fmt.Errorf("%w: %d logits, %d labels, %d gradients", ErrDims, len(logits), len(labels), len(grad))
	}
	amp, beta := l.Amplify, l.Beta
	if amp == 0 {
		amp = 73
	}
	if beta == 0 {
		beta = 1
	}
	if !(amp > 0) || math.IsInf(amp, 0) || !(beta > 0) || math.IsInf(beta, 0) {
		return 0, fmt.Errorf("%w: %w: amplify %v, beta %v", ErrInvalid, ErrDims, amp, beta)
	}
	if l.Metric < F1 || l.Metric > GeometricMean {
		return 0, fmt.Errorf("%w: unknown Metric %d", ErrInvalid, int(l.Metric))
	}
	a := make([]float64, len(logits))
	var c Confusion
	for i, z := range logits {
		y := labels[i]
		if math.IsNaN(z) || (y != 0 && y != 1) {
			return 0, fmt.Errorf("%w: logit %v, label %v (labels must be 0 or 1)", ErrNaN, z, y)
		}
		p := 1 / (1 + math.Exp(-z))
		a[i] = 1 / (1 + math.Exp(-amp*(p-0.5)))
		c.TP += y * a[i]
		c.FN += y * (1 - a[i])
		c.FP += (1 - y) * a[i]
		c.TN += (1 - y) * (1 - a[i])
	}
	v, d := l.Metric.Value(c, beta)
	if grad != nil {
		for i, z := range logits {
			y := labels[i]
			dm := y*(d.TP-d.FN) + (1-y)*(d.FP-d.TN) // ∂metric/∂aᵢ
			p := 1 / (1 + math.Exp(-z))
			grad[i] = -dm * amp * a[i] * (1 - a[i]) * p * (1 - p)
		}
	}
	return 1 - v, nil
}
