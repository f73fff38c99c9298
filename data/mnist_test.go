package data

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emberml/ember/tensor"
)

// mnistPixel is the synthetic image i's pixel (r, c).
func mnistPixel(i, r, c int) uint8 { return uint8(i*31 + r*7 + c) }

// mnistFiles returns synthetic IDX files for a split of n images: file name
// (without .gz) to contents.
func mnistFiles(split string, n int) map[string][]byte {
	img := make([]byte, n*28*28)
	lbl := make([]byte, n)
	for i := range n {
		for r := range 28 {
			for c := range 28 {
				img[i*784+r*28+c] = mnistPixel(i, r, c)
			}
		}
		lbl[i] = uint8(i % 10)
	}
	return map[string][]byte{
		split + "-images-idx3-ubyte": idxBytes(0x08, []int{n, 28, 28}, img),
		split + "-labels-idx1-ubyte": idxBytes(0x08, []int{n}, lbl),
	}
}

// writeMNIST writes files into dir, gzip-compressed (with .gz) if gz.
func writeMNIST(t *testing.T, dir string, files map[string][]byte, gz bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if gz {
			name, b = name+".gz", gzipBytes(t, b)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkSyntheticMNIST(t *testing.T, ds *MNISTDataset, n int) {
	t.Helper()
	if ds.Len() != n || !slices.Equal(ds.Data.Shape(), []int{n, 1, 28, 28}) || ds.Data.DType() != tensor.Uint8 {
		t.Fatalf("Data %v %v, Len %d; want uint8 [%d 1 28 28]", ds.Data.DType(), ds.Data.Shape(), ds.Len(), n)
	}
	if ds.Targets.DType() != tensor.Int64 || !slices.Equal(ds.Targets.Shape(), []int{n}) {
		t.Fatalf("Targets %v %v, want int64 [%d]", ds.Targets.DType(), ds.Targets.Shape(), n)
	}
	s, err := ds.Get(n - 1)
	if err != nil {
		t.Fatal(err)
	}
	if s[0].At(0, 3, 5) != float64(mnistPixel(n-1, 3, 5)) || s[1].Item() != float64((n-1)%10) || s[1].Dim() != 0 {
		t.Fatalf("Get(%d) = image pixel %v label %v", n-1, s[0].At(0, 3, 5), s[1])
	}
}

func TestMNISTSynthetic(t *testing.T) {
	for _, layout := range []struct {
		name string
		sub  string
		gz   bool
	}{{"plain", "", false}, {"gzip", "", true}, {"torchvision raw folder", "MNIST/raw", true}} {
		root := t.TempDir()
		writeMNIST(t, filepath.Join(root, layout.sub), mnistFiles("train", 30), layout.gz)
		writeMNIST(t, filepath.Join(root, layout.sub), mnistFiles("t10k", 12), layout.gz)
		train, err := MNIST(root, true)
		if err != nil {
			t.Fatalf("%s: %v", layout.name, err)
		}
		checkSyntheticMNIST(t, train, 30)
		test, err := MNIST(root, false)
		if err != nil {
			t.Fatalf("%s: %v", layout.name, err)
		}
		checkSyntheticMNIST(t, test, 12)
		if len(train.Classes) != 10 || train.Classes[3] != "3 - three" {
			t.Fatalf("classes %v", train.Classes)
		}
	}
	root := t.TempDir()
	writeMNIST(t, root, mnistFiles("train", 5), true)
	f, err := FashionMNIST(root, true)
	if err != nil {
		t.Fatal(err)
	}
	if f.Classes[9] != "Ankle boot" {
		t.Fatalf("Fashion classes %v", f.Classes)
	}
}

func TestMNISTTransforms(t *testing.T) {
	root := t.TempDir()
	writeMNIST(t, root, mnistFiles("train", 40), true)
	norm := Compose{ToTensor{}, Normalize{Mean: []float64{0.1307}, Std: []float64{0.3081}}}
	ds, err := MNIST(root, true, MNISTOptions{Transform: norm})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ds.Get(7)
	if s[0].DType() != tensor.Float32 || !slices.Equal(s[0].Shape(), []int{1, 28, 28}) {
		t.Fatalf("transformed image %v %v", s[0].DType(), s[0].Shape())
	}
	want := (float64(float32(mnistPixel(7, 2, 9))/255) - 0.1307) / 0.3081
	if d := s[0].At(0, 2, 9) - want; d > 1e-6 || d < -1e-6 {
		t.Fatalf("normalized pixel %v, want %v", s[0].At(0, 2, 9), want)
	}
	// The batch path (index_select, then the batchable transform on the
	// batch) equals collating the samples one by one, with and without a
	// random (not batchable) transform.
	crop := Compose{ToTensor{}, RandomCrop{Size: []int{28}, Padding: []int{2}, Generator: tensor.NewGenerator(1)}}
	for _, tf := range []Transform{nil, norm, crop} {
		ds.Transform = tf
		ds.TargetTransform = TransformFunc(func(x *tensor.Tensor) *tensor.Tensor { return x.AddScalar(1) })
		idx := []int{3, 39, 0, 11}
		if tf != nil {
			if c, ok := tf.(Compose); ok && !c.Batchable() {
				// A random transform gives other crops on each call: compare
				// with the same seed.
				c[1] = RandomCrop{Size: []int{28}, Padding: []int{2}, Generator: tensor.NewGenerator(1)}
			}
		}
		fast, err := ds.GetBatch(idx)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := tf.(Compose); ok && !c.Batchable() {
			c[1] = RandomCrop{Size: []int{28}, Padding: []int{2}, Generator: tensor.NewGenerator(1)}
		}
		samples := make([]Sample, len(idx))
		for k, i := range idx {
			samples[k], _ = ds.Get(i)
		}
		slow, err := DefaultCollate(samples)
		if err != nil {
			t.Fatal(err)
		}
		for f := range 2 {
			if fast[f].DType() != slow[f].DType() || !tensor.Equal(fast[f], slow[f]) {
				t.Fatalf("transform %T field %d: batch path differs from the per-sample path", tf, f)
			}
		}
		if !slices.Equal(fast[1].ToInt64s(), []int64{4, 10, 1, 2}) {
			t.Fatalf("target transform gives %v", fast[1].ToInt64s())
		}
	}
	if _, err := ds.GetBatch([]int{40}); err == nil {
		t.Fatal("GetBatch out of range succeeded")
	}
}

func TestMNISTMissing(t *testing.T) {
	root := t.TempDir()
	writeMNIST(t, root, map[string][]byte{"train-images-idx3-ubyte": mnistFiles("train", 2)["train-images-idx3-ubyte"]}, false)
	_, err := MNIST(root, true)
	if err == nil {
		t.Fatal("MNIST loaded without a labels file")
	}
	for _, w := range []string{root, "train-labels-idx1-ubyte", "MNIST_DIR", "-data", "Download"} {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not mention %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "train-images") {
		t.Fatalf("error %q names a file that is there", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v does not wrap fs.ErrNotExist", err)
	}
	_, err = FashionMNIST(t.TempDir(), false)
	if err == nil || !strings.Contains(err.Error(), "FASHION_MNIST_DIR") || !strings.Contains(err.Error(), "t10k-images") {
		t.Fatalf("FashionMNIST error %v", err)
	}
}

func TestMNISTMalformed(t *testing.T) {
	files := mnistFiles("train", 4)
	for _, tc := range []struct {
		name   string
		labels []byte
		want   string
	}{
		{"count mismatch", idxBytes(0x08, []int{3}, []byte{1, 2, 3}), "holds 4 images but"},
		{"labels not uint8", idxBytes(0x0C, []int{1}, []byte{0, 0, 0, 1}), "want uint8 labels"},
		{"labels 2-D", idxBytes(0x08, []int{2, 2}, []byte{0, 1, 2, 3}), "want uint8 labels"},
		{"labels truncated", idxBytes(0x08, []int{4}, []byte{0, 1}), "truncated"},
	} {
		root := t.TempDir()
		writeMNIST(t, root, map[string][]byte{"train-images-idx3-ubyte": files["train-images-idx3-ubyte"], "train-labels-idx1-ubyte": tc.labels}, false)
		if _, err := MNIST(root, true); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), root) {
			t.Fatalf("%s: error %v, want one mentioning %q and the file", tc.name, err, tc.want)
		}
	}
	root := t.TempDir()
	writeMNIST(t, root, map[string][]byte{"train-images-idx3-ubyte": idxBytes(0x08, []int{4}, []byte{1, 2, 3, 4}),
		"train-labels-idx1-ubyte": files["train-labels-idx1-ubyte"]}, false)
	if _, err := MNIST(root, true); err == nil || !strings.Contains(err.Error(), "want uint8 images") {
		t.Fatalf("1-D images: %v", err)
	}
}

// mnistServer serves the gzip-compressed files under /mnist/, counting
// requests; a name absent from files is a 404.
func mnistServer(t *testing.T, files map[string][]byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		name := strings.TrimPrefix(r.URL.Path, "/mnist/")
		b, ok := files[strings.TrimSuffix(name, ".gz")]
		if !ok || !strings.HasSuffix(name, ".gz") {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// gzFiles compresses each file, and returns the MD5 sums of the .gz files.
func gzFiles(t *testing.T, files map[string][]byte) (map[string][]byte, map[string]string) {
	gz, sums := map[string][]byte{}, map[string]string{}
	for name, b := range files {
		gz[name] = gzipBytes(t, b)
		h := md5.Sum(gz[name])
		sums[name+".gz"] = hex.EncodeToString(h[:])
	}
	return gz, sums
}

// dirNames lists a folder.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestMNISTDownload(t *testing.T) {
	gz, sums := gzFiles(t, mnistFiles("train", 20))
	srv, hits := mnistServer(t, gz)
	broken := httptest.NewServer(http.NotFoundHandler())
	defer broken.Close()
	kind := mnistDigits
	kind.md5 = sums
	root := filepath.Join(t.TempDir(), "cache", "mnist") // does not exist yet
	var logged []string
	opts := MNISTOptions{Download: true, Mirrors: []string{broken.URL + "/mnist/", srv.URL + "/mnist"},
		Logf: func(f string, a ...any) { logged = append(logged, f) }}
	ds, err := loadMNIST(kind, root, true, []MNISTOptions{opts})
	if err != nil {
		t.Fatal(err)
	}
	checkSyntheticMNIST(t, ds, 20)
	names := dirNames(t, root)
	if !slices.Equal(names, []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}) {
		t.Fatalf("download left %v", names)
	}
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(root, n))
		if !bytes.Equal(b, gz[strings.TrimSuffix(n, ".gz")]) {
			t.Fatalf("%s differs from the served file", n)
		}
	}
	if hits.Load() != 2 || len(logged) != 6 {
		t.Fatalf("%d requests to the good mirror, %d log lines; want 2 and 6 (the broken mirror first: downloading, failed; then the good one)", hits.Load(), len(logged))
	}
	// Present files are not downloaded again.
	if _, err := loadMNIST(kind, root, true, []MNISTOptions{opts}); err != nil || hits.Load() != 2 {
		t.Fatalf("second load: %v, %d requests", err, hits.Load())
	}
}

func TestMNISTDownloadChecksumMismatch(t *testing.T) {
	// The synthetic files do not have the real MNIST's MD5 sums, which
	// MNIST checks them against.
	gz, _ := gzFiles(t, mnistFiles("t10k", 3))
	srv, _ := mnistServer(t, gz)
	root := t.TempDir()
	_, err := MNIST(root, false, MNISTOptions{Download: true, Mirrors: []string{srv.URL + "/mnist/"}})
	if err == nil {
		t.Fatal("downloaded files with the wrong checksum")
	}
	for _, w := range []string{"MD5 checksum mismatch", "want 9fb629c4189551a2d022fa330f9573f3", root, "MNIST_DIR"} {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not mention %q", err, w)
		}
	}
	if names := dirNames(t, root); len(names) != 0 {
		t.Fatalf("a failed download left %v", names)
	}
}

func TestMNISTDownloadOffline(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	root := filepath.Join(t.TempDir(), "mnist")
	for _, load := range []func(string, bool, ...MNISTOptions) (*MNISTDataset, error){MNIST, FashionMNIST} {
		_, err := load(root, true, MNISTOptions{Download: true, Mirrors: []string{base + "/a/", base + "/b/"}})
		if err == nil {
			t.Fatal("download from a closed server succeeded")
		}
		for _, w := range []string{"missing in " + root, "could not be downloaded", "_DIR", "-data", "train-images-idx3-ubyte.gz", base + "/b/"} {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("error %q does not mention %q", err, w)
			}
		}
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Fatalf("error %v does not wrap the network error", err)
		}
		if names := dirNames(t, root); len(names) != 0 {
			t.Fatalf("a failed download left %v", names)
		}
	}
}

func TestDefaultMNISTDir(t *testing.T) {
	t.Setenv("MNIST_DIR", "/some/where")
	if d := DefaultMNISTDir(); d != "/some/where" {
		t.Fatalf("DefaultMNISTDir with MNIST_DIR set: %s", d)
	}
	t.Setenv("MNIST_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if d := DefaultMNISTDir(); d != filepath.Join("/cache", "ember", "mnist") && !strings.HasSuffix(d, filepath.Join("ember", "mnist")) {
		t.Fatalf("DefaultMNISTDir: %s", d)
	}
	// An empty root means the default folder.
	root := t.TempDir()
	writeMNIST(t, root, mnistFiles("t10k", 3), true)
	t.Setenv("MNIST_DIR", root)
	if ds, err := MNIST("", false); err != nil || ds.Len() != 3 {
		t.Fatalf("MNIST(\"\") with MNIST_DIR set: %v", err)
	}
	t.Setenv("FASHION_MNIST_DIR", "")
	if d := DefaultFashionMNISTDir(); !strings.HasSuffix(d, filepath.Join("ember", "fashion-mnist")) {
		t.Fatalf("DefaultFashionMNISTDir: %s", d)
	}
}

// realMNISTDir returns the folder with the real MNIST files: $MNIST_DIR, or
// shared/data/mnist beside the repository (as CI lays it out), or "".
func realMNISTDir() string {
	if d := os.Getenv("MNIST_DIR"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "data", "mnist")
		if _, err := os.Stat(filepath.Join(p, "train-images-idx3-ubyte.gz")); err == nil {
			return p
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

func TestMNISTReal(t *testing.T) {
	dir := realMNISTDir()
	if dir == "" {
		t.Skip("no MNIST files: set MNIST_DIR (CI uses ../shared/data/mnist)")
	}
	train, err := MNIST(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	test, err := MNIST(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range []*MNISTDataset{train, test} {
		if ds.Len() == 0 || !slices.Equal(ds.Data.Shape()[1:], []int{1, 28, 28}) {
			t.Fatalf("MNIST data %v", ds.Data.Shape())
		}
		labels := ds.Targets.ToInt64s()
		counts := make([]int, 10)
		for _, l := range labels {
			if l < 0 || l > 9 {
				t.Fatalf("label %d", l)
			}
			counts[l]++
		}
		for c, k := range counts {
			if k < ds.Len()/20 {
				t.Fatalf("class %d has %d of %d samples", c, k, ds.Len())
			}
		}
		// Digits: dark background, mean pixel about 0.13 (MNIST's 0.1307).
		mean := ds.Data.To(tensor.Float32).Mean().Item() / 255
		if mean < 0.1 || mean > 0.16 {
			t.Fatalf("mean pixel %v", mean)
		}
	}
	t.Logf("%s: %d training and %d test digits", dir, train.Len(), test.Len())
}
