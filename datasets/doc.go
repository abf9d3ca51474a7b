// Package datasets embeds four small real datasets and loads them with the
// project's split rule and standardization.
//
// The CSV files (header row, last column the target) were exported unchanged
// from the copies bundled with scikit-learn 1.2.1; PROVENANCE.md beside this
// file names their origins and licences:
//
//   - diabetes: 442 × 10, regression (Efron et al. 2004)
//   - breast_cancer: 569 × 30, binary 0 = malignant, 1 = benign (UCI)
//   - digits: 1797 × 64, classes 0–9, 8×8 images (UCI)
//   - wine: 178 × 13, classes 0–2 (UCI)
//
// [Load] parses a dataset; [Dataset.Split] applies the split rule of the
// benchmarks (validation rows are those whose index i satisfies
// i % 3 == 0, training rows the rest; [Dataset.SplitTest] further splits
// validation rows into i % 6 == 0 and i % 6 == 3); [Standardize] scales
// features with the training mean and population standard deviation and
// centers a regression target with the training mean. [ReadCSV] loads a
// user's own file with the same checks.
package datasets
