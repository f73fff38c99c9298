package data_test

import (
	"bytes"
	"fmt"

	"github.com/emberml/ember/data"
	"github.com/emberml/ember/tensor"
)

// A DataLoader over in-memory tensors: shuffled batches of 4, the last
// one smaller.
func ExampleDataLoader() {
	x := tensor.Arange(0, 10, 1).Reshape(10, 1)
	y := tensor.FromSlice([]int64{0, 1, 0, 1, 0, 1, 0, 1, 0, 1})
	ds := data.NewTensorDataset(x, y)
	loader := data.NewDataLoader(ds, data.LoaderOptions{BatchSize: 4, Shuffle: true, Generator: tensor.NewGenerator(1)})
	fmt.Println("batches per epoch:", loader.Len())
	n := 0
	for batch, err := range loader.All() {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(batch[0].Shape(), batch[1].DType())
		n += batch[0].Size(0)
	}
	fmt.Println("samples:", n)
	// Output:
	// batches per epoch: 3
	// [4 1] int64
	// [4 1] int64
	// [2 1] int64
	// samples: 10
}

// Loading MNIST and iterating over normalized batches. The files are read
// from $MNIST_DIR or the user's cache folder; Download fetches them when
// they are missing.
func ExampleMNIST() {
	train, err := data.MNIST(data.DefaultMNISTDir(), true, data.MNISTOptions{
		Download: true,
		Transform: data.Compose{
			data.ToTensor{},
			data.Normalize{Mean: []float64{0.1307}, Std: []float64{0.3081}},
		},
	})
	if err != nil {
		fmt.Println(err) // names the folder and how to point at the files
		return
	}
	loader := data.NewDataLoader(train, data.LoaderOptions{BatchSize: 64, Shuffle: true, NumWorkers: 2})
	for epoch := range 2 {
		for batch, err := range loader.All() {
			if err != nil {
				fmt.Println(err)
				return
			}
			images, labels := batch[0], batch[1] // float32 [64 1 28 28], int64 [64]
			_, _ = images, labels
		}
		fmt.Println("epoch", epoch, "done")
	}
}

// Data augmentation as in torchvision: a random crop of a padded image and
// a small random rotation and shift, then normalization.
func ExampleCompose() {
	g := tensor.NewGenerator(0)
	augment := data.Compose{
		data.ToTensor{},
		data.RandomCrop{Size: []int{28}, Padding: []int{2}, Generator: g},
		data.RandomAffine{Degrees: []float64{10}, Translate: []float64{0.1, 0.1}, Generator: g,
			AffineOptions: data.AffineOptions{Interpolation: "bilinear"}},
		data.Normalize{Mean: []float64{0.1307}, Std: []float64{0.3081}},
	}
	img := tensor.Zeros(1, 28, 28).To(tensor.Uint8)
	out := augment.Apply(img)
	fmt.Println(out.DType(), out.Shape())
	// Output:
	// float32 [1 28 28]
}

// Writing and reading back an IDX file, the format MNIST is distributed in.
func ExampleReadIDX() {
	var buf bytes.Buffer
	labels := tensor.FromSlice([]uint8{5, 0, 4, 1, 9})
	if err := data.WriteIDX(&buf, labels); err != nil {
		fmt.Println(err)
		return
	}
	t, err := data.ReadIDX(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.DType(), t.Shape(), t.ToInt64s())
	// Output:
	// uint8 [5] [5 0 4 1 9]
}
