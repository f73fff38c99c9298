// Package data feeds training loops, as torch.utils.data and the parts of
// torchvision a first model needs: datasets, a batching loader, image
// transforms and the MNIST family of datasets.
//
// A [Dataset] has Len and Get(i), which returns a [Sample]: the sample's
// fields as tensors, typically {image, label}, a label being a 0-d int64
// tensor. [TensorDataset], [Subset], [RandomSplit] and [MNIST] /
// [FashionMNIST] are datasets. A [DataLoader] cuts an epoch into batches,
// in order or shuffled with an order that depends on a seed and the epoch
// alone (so a resumed run sees the same order), loads them in background
// goroutines when asked to, stacks the fields of the samples ([DefaultCollate])
// and yields them through a Go iterator:
//
//	train, err := data.MNIST(data.DefaultMNISTDir(), true, data.MNISTOptions{
//		Transform: data.Compose{data.ToTensor{}, data.Normalize{Mean: []float64{0.1307}, Std: []float64{0.3081}}},
//	})
//	if err != nil {
//		return err
//	}
//	loader := data.NewDataLoader(train, data.LoaderOptions{BatchSize: 64, Shuffle: true})
//	for batch, err := range loader.All() {
//		if err != nil {
//			return err
//		}
//		x, y := batch[0], batch[1] // float32 [64, 1, 28, 28], int64 [64]
//		...
//	}
//
// Errors: whatever touches files, the network or a dataset's samples
// returns an error (a dataset's Get, the loader's iterator, [ReadIDX],
// MNIST's loading and download); misuse of the math-like API (a transform
// given an image of the wrong dtype, contradictory loader options) panics
// with a message that names the function and the shapes, as package tensor
// does.
//
// Transforms ([Compose], [ToTensor], [Normalize], [RandomCrop],
// [RandomAffine]) follow torchvision's semantics on tensor images
// [..., C, H, W]; the random ones draw from a *tensor.Generator (by default
// tensor.DefaultGenerator()), and match torchvision's parameter ranges,
// not its random streams. With NumWorkers > 1 several goroutines draw from
// a transform's generator in an order that depends on scheduling, so
// random augmentation is reproducible only with NumWorkers 0 or 1; the
// sample order always is.
//
// [ReadIDX] reads the IDX files MNIST is distributed in (every IDX type,
// gzip or not); MNIST finds its files in a folder, by default
// [DefaultMNISTDir] ($MNIST_DIR or the user's cache), and downloads them
// from torchvision's mirrors, checking torchvision's MD5 sums, when asked.
package data
