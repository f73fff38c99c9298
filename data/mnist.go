package data

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emberml/ember/tensor"
)

// mnistKind describes one dataset in the MNIST format: where torchvision
// downloads it from, the MD5 of each file, and where Ember keeps it.
type mnistKind struct {
	name     string // torchvision's class name, also its raw/ subfolder
	env      string // environment variable naming the folder
	cacheSub string // folder under os.UserCacheDir()/ember
	mirrors  []string
	md5      map[string]string
	classes  []string
}

// mnistDigits is torchvision.datasets.MNIST's resources, with the mirror
// that still serves the files first.
var mnistDigits = mnistKind{
	name:     "MNIST",
	env:      "MNIST_DIR",
	cacheSub: "mnist",
	mirrors: []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
		"http://yann.lecun.com/exdb/mnist/",
	},
	md5: map[string]string{
		"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
		"train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
		"t10k-images-idx3-ubyte.gz":  "9fb629c4189551a2d022fa330f9573f3",
		"t10k-labels-idx1-ubyte.gz":  "ec29112dd5afa0611ce80d1b7f02629c",
	},
	classes: []string{"0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
		"5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"},
}

// mnistFashion is torchvision.datasets.FashionMNIST's resources.
var mnistFashion = mnistKind{
	name:     "FashionMNIST",
	env:      "FASHION_MNIST_DIR",
	cacheSub: "fashion-mnist",
	mirrors:  []string{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
	md5: map[string]string{
		"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
		"train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
		"t10k-images-idx3-ubyte.gz":  "bef4ecab320f06d8554ea6380940ec79",
		"t10k-labels-idx1-ubyte.gz":  "bb300cfdad3c16e7a12a480ee83cd310",
	},
	classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
}

// MNISTOptions configure MNIST and FashionMNIST. The zero value reads the
// files from the folder and downloads nothing, as torchvision's defaults.
type MNISTOptions struct {
	// Download fetches the files of the split that are missing from the
	// folder, from the mirrors torchvision uses, and checks their MD5
	// sums against torchvision's. Files already there are used as they
	// are.
	Download bool
	// Transform is applied to each image, a uint8 tensor [1, 28, 28], e.g.
	// Compose{ToTensor{}, Normalize{...}}. Default (nil): none.
	Transform Transform
	// TargetTransform is applied to each label, a 0-d int64 tensor.
	// Default (nil): none.
	TargetTransform Transform
	// Mirrors are the base URLs tried in order for each file, each
	// followed by the file's name. Default (nil): torchvision's mirrors.
	Mirrors []string
	// Client makes the download requests. Default (nil): a client with a
	// ten-minute timeout.
	Client *http.Client
	// Logf, when set, is told about each download.
	Logf func(format string, args ...any)
}

// MNISTDataset holds an MNIST-format dataset in memory: the images of one
// split and their labels. Its Get returns {image, label}; with no
// Transform the image is uint8 [1, 28, 28], the label a 0-d int64 tensor.
type MNISTDataset struct {
	// Data holds the images, uint8 [N, 1, H, W] (torchvision's data is
	// [N, H, W]; the channel dimension is added here so that a batch is
	// the [B, 1, H, W] a Conv2d takes).
	Data *tensor.Tensor
	// Targets holds the labels, int64 [N].
	Targets *tensor.Tensor
	// Classes are the class names, indexed by label.
	Classes []string
	// Transform and TargetTransform are applied by Get and GetBatch.
	Transform, TargetTransform Transform
}

// MNIST loads the MNIST handwritten digits from root, as
// torchvision.datasets.MNIST: the training split (60,000 images) when
// train is set, the test split (10,000) otherwise. It reads
// train-images-idx3-ubyte and train-labels-idx1-ubyte (t10k-... for the
// test split), each plain or gzip-compressed (.gz), from root or from
// root/MNIST/raw where torchvision keeps them. An empty root means
// DefaultMNISTDir().
//
// When a file is missing and opts.Download is set, it is downloaded into
// root. A missing file is otherwise an error that wraps fs.ErrNotExist and
// names the folder.
func MNIST(root string, train bool, opts ...MNISTOptions) (*MNISTDataset, error) {
	return loadMNIST(mnistDigits, root, train, opts)
}

// FashionMNIST loads Zalando's Fashion-MNIST from root, as
// torchvision.datasets.FashionMNIST: the same file names and format as
// MNIST (see there), clothing in ten classes. An empty root means
// DefaultFashionMNISTDir().
func FashionMNIST(root string, train bool, opts ...MNISTOptions) (*MNISTDataset, error) {
	return loadMNIST(mnistFashion, root, train, opts)
}

// DefaultMNISTDir returns the folder MNIST data is kept in: $MNIST_DIR when
// set, else the folder ember/mnist in the user's cache folder
// (os.UserCacheDir, e.g. ~/.cache/ember/mnist).
func DefaultMNISTDir() string { return mnistDefaultDir(mnistDigits) }

// DefaultFashionMNISTDir returns the folder Fashion-MNIST is kept in:
// $FASHION_MNIST_DIR when set, else ember/fashion-mnist in the user's
// cache folder.
func DefaultFashionMNISTDir() string { return mnistDefaultDir(mnistFashion) }

func mnistDefaultDir(k mnistKind) string {
	if d := os.Getenv(k.env); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "ember", k.cacheSub)
}

// mnistFind returns the path of the file base (plain or .gz) in root or
// root/<name>/raw, or "" when there is none.
func mnistFind(k mnistKind, root, base string) string {
	for _, dir := range []string{root, filepath.Join(root, k.name, "raw")} {
		for _, name := range []string{base, base + ".gz"} {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

func loadMNIST(k mnistKind, root string, train bool, opts []MNISTOptions) (*MNISTDataset, error) {
	var o MNISTOptions
	if len(opts) > 1 {
		return nil, fmt.Errorf("data: %s: more than one MNISTOptions", k.name)
	}
	if len(opts) == 1 {
		o = opts[0]
	}
	if root == "" {
		root = mnistDefaultDir(k)
	}
	split := "t10k"
	if train {
		split = "train"
	}
	bases := []string{split + "-images-idx3-ubyte", split + "-labels-idx1-ubyte"}
	var missing []string
	for _, b := range bases {
		if mnistFind(k, root, b) == "" {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 && !o.Download {
		return nil, fmt.Errorf("data: %s: %s[.gz] not found in %s (nor in %s); set %s to a folder that holds the %s files, pass the -data flag, or set MNISTOptions.Download: %w",
			k.name, strings.Join(missing, "[.gz] and "), root, filepath.Join(root, k.name, "raw"), k.env, k.name, fs.ErrNotExist)
	}
	if len(missing) > 0 {
		if err := mnistDownload(k, root, missing, o); err != nil {
			return nil, fmt.Errorf("data: %s files are missing in %s and could not be downloaded; set %s to a folder that holds them (%s) or pass the -data flag: %w",
				k.name, root, k.env, strings.Join(missing, ", "), err)
		}
	}
	imgPath, lblPath := mnistFind(k, root, bases[0]), mnistFind(k, root, bases[1])
	images, err := ReadIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	if images.DType() != tensor.Uint8 || images.Dim() != 3 {
		return nil, fmt.Errorf("data: %s: %s holds %v %v, want uint8 images [N, H, W]", k.name, imgPath, images.DType(), images.Shape())
	}
	if labels.DType() != tensor.Uint8 || labels.Dim() != 1 {
		return nil, fmt.Errorf("data: %s: %s holds %v %v, want uint8 labels [N]", k.name, lblPath, labels.DType(), labels.Shape())
	}
	if images.Size(0) != labels.Size(0) {
		return nil, fmt.Errorf("data: %s: %s holds %d images but %s holds %d labels", k.name, imgPath, images.Size(0), lblPath, labels.Size(0))
	}
	return &MNISTDataset{
		Data:            images.Unsqueeze(1),
		Targets:         labels.To(tensor.Int64),
		Classes:         append([]string(nil), k.classes...),
		Transform:       o.Transform,
		TargetTransform: o.TargetTransform,
	}, nil
}

// mnistMaxDownload bounds one downloaded file (the largest MNIST-format
// file, Fashion-MNIST's training images, is 26 MB).
const mnistMaxDownload = 256 << 20

// mnistDownload fetches the .gz of each missing file into root.
func mnistDownload(k mnistKind, root string, missing []string, o MNISTOptions) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	mirrors := o.Mirrors
	if mirrors == nil {
		mirrors = k.mirrors
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	for _, base := range missing {
		name := base + ".gz"
		var errs []error
		ok := false
		for _, m := range mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + name
			if o.Logf != nil {
				o.Logf("downloading %s", url)
			}
			err := mnistFetch(client, url, filepath.Join(root, name), k.md5[name])
			if err == nil {
				ok = true
				break
			}
			if o.Logf != nil {
				o.Logf("failed to download %s: %v", url, err)
			}
			errs = append(errs, err)
		}
		if !ok {
			if len(errs) == 0 {
				errs = append(errs, errors.New("no mirrors"))
			}
			return fmt.Errorf("downloading %s: %w", name, errors.Join(errs...))
		}
	}
	return nil
}

// mnistFetch downloads url to dst atomically (a temporary file in dst's
// folder, renamed once complete and matching wantMD5).
func mnistFetch(client *http.Client, url, dst, wantMD5 string) (err error) {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, mnistMaxDownload+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if n > mnistMaxDownload {
		return fmt.Errorf("GET %s: the file is larger than %d bytes", url, mnistMaxDownload)
	}
	if got := hex.EncodeToString(h.Sum(nil)); wantMD5 != "" && got != wantMD5 {
		return fmt.Errorf("GET %s: MD5 checksum mismatch: got %s, want %s", url, got, wantMD5)
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// Len returns the number of images.
func (d *MNISTDataset) Len() int { return d.Data.Size(0) }

// Get returns image i and its label, transformed.
func (d *MNISTDataset) Get(i int) (Sample, error) {
	if err := checkIndex("MNIST", i, d.Len()); err != nil {
		return nil, err
	}
	img, lbl := d.Data.Select(0, i), d.Targets.Select(0, i)
	if d.Transform != nil {
		img = d.Transform.Apply(img)
	}
	if d.TargetTransform != nil {
		lbl = d.TargetTransform.Apply(lbl)
	}
	return Sample{img, lbl}, nil
}

// GetBatch returns the images and labels at indices as one batch: an
// index_select, then the transforms applied to the whole batch when they
// are batchable (ToTensor, Normalize, a Compose of them) and to each sample
// otherwise.
func (d *MNISTDataset) GetBatch(indices []int) (Sample, error) {
	for _, i := range indices {
		if err := checkIndex("MNIST", i, d.Len()); err != nil {
			return nil, err
		}
	}
	imgs, err := mnistBatchTransform(gatherRows(d.Data, indices), d.Transform)
	if err != nil {
		return nil, err
	}
	lbls, err := mnistBatchTransform(gatherRows(d.Targets, indices), d.TargetTransform)
	if err != nil {
		return nil, err
	}
	return Sample{imgs, lbls}, nil
}

// mnistBatchTransform applies t to a batch, at once or sample by sample.
func mnistBatchTransform(b *tensor.Tensor, t Transform) (*tensor.Tensor, error) {
	switch {
	case t == nil:
		return b, nil
	case transformBatchable(t):
		return t.Apply(b), nil
	}
	samples := make([]Sample, b.Size(0))
	for k := range samples {
		samples[k] = Sample{t.Apply(b.Select(0, k))}
	}
	s, err := DefaultCollate(samples)
	if err != nil {
		return nil, err
	}
	return s[0], nil
}
