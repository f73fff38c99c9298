package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// zooModel is a model of the zoo: one of package models' networks with
// its input shape and preprocessing.
type zooModel struct {
	name, desc string
	shape      []int // the example input, batch 1
	mean, std  []float32
	labels     []string
}

var digits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

var zoo = []zooModel{
	{name: "mobilenet_v2", desc: "MobileNetV2 (torchvision's definition), random weights",
		shape: []int{1, 3, 224, 224}, mean: []float32{0.485, 0.456, 0.406}, std: []float32{0.229, 0.224, 0.225}},
	{name: "resnet18", desc: "ResNet-18 (torchvision's definition), random weights",
		shape: []int{1, 3, 224, 224}, mean: []float32{0.485, 0.456, 0.406}, std: []float32{0.229, 0.224, 0.225}},
	{name: "smallcnn", desc: "SmallCNN (PyTorch Mobile's introductory network), random weights",
		shape: []int{1, 1, 28, 28}, mean: []float32{0.1307}, std: []float32{0.3081}, labels: digits},
	{name: "examplesnet", desc: "ExamplesNet (PyTorch's examples/mnist network), random weights",
		shape: []int{1, 1, 28, 28}, mean: []float32{0.1307}, std: []float32{0.3081}, labels: digits},
}

func zooNames() []string {
	var names []string
	for _, z := range zoo {
		names = append(names, z.name)
	}
	return names
}

func zooCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("zoo", stderr)
	out := fs.String("o", "", "the .ember file to write")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want a model name (%s), got %d arguments", strings.Join(zooNames(), ", "), len(pos))
	}
	i := slices.IndexFunc(zoo, func(z zooModel) bool { return z.name == pos[0] })
	if i < 0 {
		return usagef("unknown model %q (want %s)", pos[0], strings.Join(zooNames(), ", "))
	}
	if *out == "" {
		return usagef("-o is required")
	}
	if err := zoo[i].save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}
