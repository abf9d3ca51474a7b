package pto

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/batch"
	"github.com/optlayers/optlayers/layers/nn"
)

// Settings controls the batch evaluations of the package ([NewDataset],
// [Regret], [UnambiguousRegret], [ModelRegret], [BatchGradient]). A nil
// *Settings means the defaults.
type Settings struct {
	// Workers is the number of goroutines the oracle or loss calls run
	// on: 0 means GOMAXPROCS, a negative value is an error matching
	// ErrInvalid. Results do not depend on it.
	Workers int
}

func (s *Settings) workers() (int, error) {
	if s == nil {
		return 0, nil
	}
	return s.Workers, batch.CheckWorkers(s.Workers, ErrInvalid)
}

// TrainSettings controls [Train]. A nil *TrainSettings or zero fields mean
// the documented defaults.
type TrainSettings struct {
	Epochs    int          // passes over the data; default 10
	BatchSize int          // default 32
	Optimizer nn.Optimizer // default Adam with learning rate 1e-2
	Seed      uint64       // seeds the shuffles and the losses' random streams
	Workers   int          // goroutines per batch; 0 means GOMAXPROCS, negative is ErrInvalid; results do not depend on it
	// AfterEpoch, if non-nil, is called after each epoch (1-based) with the
	// mean training loss; a non-nil error stops training and is returned.
	AfterEpoch func(epoch int, loss float64) error
	Logger     *slog.Logger
}

// TrainResult summarizes a training run.
type TrainResult struct {
	Losses        []float64     // mean training loss of each epoch
	EpochDuration time.Duration // mean wall time per epoch (AfterEpoch excluded)
}

// Train fits model (features → predicted costs) by mini-batch descent on
// the mean of loss over each batch. Per batch: one batched forward pass,
// the per-pair losses and their gradients in parallel (pair i of epoch e
// uses the random stream PCG(Seed, e·2³²+i)), one backward pass and an
// optimizer step. It stops at the end of the current batch when ctx is
// cancelled.
func Train(ctx context.Context, model *nn.MLP, loss Loss, train *Dataset, s *TrainSettings) (res *TrainResult, err error) {
	if model == nil || isNil(loss) || train == nil || train.X == nil {
		return nil, fmt.Errorf("%w: Train needs a model, a loss and a dataset", ErrInvalid)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	defer recoverCallback(&err)
	var st TrainSettings
	if s != nil {
		st = *s
	}
	if st.Epochs == 0 {
		st.Epochs = 10
	}
	if st.BatchSize == 0 {
		st.BatchSize = 32
	}
	if st.Optimizer == nil {
		st.Optimizer = &nn.Adam{LearningRate: 1e-2}
	}
	if st.Epochs < 0 || st.BatchSize < 0 || st.Workers < 0 {
		return nil, fmt.Errorf("%w: epochs %d, batch size %d, workers %d", ErrInvalid, st.Epochs, st.BatchSize, st.Workers)
	}
	in, out := model.Dims()
	if _, p := train.X.Dims(); p != in {
		return nil, fmt.Errorf("%w: %d features, model takes %d", ErrDims, p, in)
	}
	if _, d := train.C.Dims(); d != out {
		return nil, fmt.Errorf("%w: %d costs, model predicts %d", ErrDims, d, out)
	}
	shuffle := rand.New(rand.NewPCG(st.Seed, 0x5eed))
	grad := make([]float64, len(model.Params()))
	res = &TrainResult{}
	var spent time.Duration
	for epoch := 1; epoch <= st.Epochs; epoch++ {
		start := time.Now()
		total := 0.0
		for _, batch := range nn.Batches(train.Len(), st.BatchSize, shuffle) {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			val, err := batchGradient(ctx, grad, model, loss, train, batch, st.Seed, uint64(epoch), st.Workers)
			if err != nil {
				return res, err
			}
			total += val * float64(len(batch))
			if err := st.Optimizer.Step(model.Params(), grad); err != nil {
				return res, err
			}
		}
		spent += time.Since(start)
		mean := total / float64(train.Len())
		res.Losses = append(res.Losses, mean)
		if st.Logger != nil {
			st.Logger.Debug("pto: epoch", "epoch", epoch, "loss", mean)
		}
		if st.AfterEpoch != nil {
			if err := st.AfterEpoch(epoch, mean); err != nil {
				res.EpochDuration = spent / time.Duration(epoch)
				return res, err
			}
		}
	}
	res.EpochDuration = spent / time.Duration(max(st.Epochs, 1))
	return res, nil
}

// BatchGradient returns the mean loss over the pairs batch of d and writes
// its gradient with respect to the model parameters into grad (length
// len(model.Params())), exactly as one step of [Train] computes it (pair i
// uses the random stream PCG(seed, stream·2³²+i)). It calls EndBatch of a
// [BatchLoss].
// The losses run on s.Workers goroutines (see Settings). A nil model,
// loss or d is ErrInvalid; a panicking loss (or an oracle it calls) is an
// error matching ErrCallback; the pairs that failed are named by an
// *implicit.BatchError.
func BatchGradient(ctx context.Context, grad []float64, model *nn.MLP, loss Loss, d *Dataset, batch []int, seed, stream uint64, s *Settings) (float64, error) {
	workers, err := s.workers()
	if err != nil {
		return 0, err
	}
	if model == nil || isNil(loss) || d == nil || d.X == nil {
		return 0, fmt.Errorf("%w: BatchGradient needs a model, a loss and a dataset", ErrInvalid)
	}
	if len(grad) != len(model.Params()) {
		return 0, fmt.Errorf("%w: grad has length %d, model has %d parameters", ErrDims, len(grad), len(model.Params()))
	}
	return batchGradient(ctx, grad, model, loss, d, batch, seed, stream, workers)
}

func batchGradient(ctx context.Context, grad []float64, model *nn.MLP, loss Loss, d *Dataset, pairs []int, seed, stream uint64, workers int) (float64, error) {
	in, out := model.Dims()
	if len(pairs) == 0 {
		return 0, fmt.Errorf("%w: empty batch", ErrInvalid)
	}
	xb := mat.NewDense(len(pairs), in, nil)
	for r, i := range pairs {
		if i < 0 || i >= d.Len() {
			return 0, fmt.Errorf("%w: pair %d of %d", ErrInvalid, i, d.Len())
		}
		copy(xb.RawRowView(r), d.X.RawRowView(i))
	}
	pass, err := model.Forward(xb)
	if err != nil {
		return 0, err
	}
	chat := pass.Output()
	dy := mat.NewDense(len(pairs), out, nil)
	vals := make([]float64, len(pairs))
	err = batch.Run(ctx, len(pairs), workers, func(r int) error {
		i := pairs[r]
		rng := rand.New(rand.NewPCG(seed, stream<<32|uint64(i)))
		v, err := loss.Eval(ctx, dy.RawRowView(r), chat.RawRowView(r), d, i, rng)
		vals[r] = v
		return err
	})
	if err != nil {
		return 0, callbackErr(err)
	}
	if bl, ok := loss.(BatchLoss); ok {
		bl.EndBatch(pairs)
	}
	total := 0.0
	for _, v := range vals {
		total += v
	}
	dy.Scale(1/float64(len(pairs)), dy)
	for k := range grad {
		grad[k] = 0
	}
	if _, err := pass.Backward(grad, dy, false); err != nil {
		return 0, err
	}
	return total / float64(len(pairs)), nil
}

// Predict returns the model's predicted costs for the rows of d.X (a nil
// model or d is ErrInvalid).
func Predict(model *nn.MLP, d *Dataset) (*mat.Dense, error) {
	if model == nil || d == nil || d.X == nil {
		return nil, fmt.Errorf("%w: Predict needs a model and a dataset", ErrInvalid)
	}
	p, err := model.Forward(d.X)
	if err != nil {
		return nil, err
	}
	return mat.DenseCopyOf(p.Output()), nil
}

// ModelRegret returns the normalized regret of model's predictions on d
// (see Regret).
func ModelRegret(ctx context.Context, o Oracle, model *nn.MLP, d *Dataset, s *Settings) (float64, error) {
	chat, err := Predict(model, d)
	if err != nil {
		return 0, err
	}
	return Regret(ctx, o, chat, d, s)
}
