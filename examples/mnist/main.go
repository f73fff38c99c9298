// Command mnist trains a convolutional network on MNIST with Ember, the way
// PyTorch's examples/mnist does: it shows a progress bar (loss, accuracy,
// samples/s, ETA), evaluates on the test digits after each epoch, saves a
// training checkpoint, the final weights (safetensors, loadable by
// PyTorch), a PNG plot of the loss and accuracy curves and metrics.json in
// the -out folder, and ends with a summary table. It then deploys the
// trained network as an app would: exported to out/mnist/model.ember
// (traced at batch 1, mobile.OptimizeForMobile, mobile.Save) and run by the
// lite runtime on the test digits one at a time, reporting its accuracy
// (which must equal eager's) and its latency per digit.
//
// Usage:
//
//	go run ./examples/mnist -data $MNIST_DIR -epochs 5 -out out/mnist
//
// The data folder defaults to $MNIST_DIR, else Ember's cache folder, where
// the files are downloaded (with torchvision's checksums) when missing.
// A run can be resumed from its checkpoint with -resume.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/data"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/checkpoint"
	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/nn/optim"
	"github.com/emberml/ember/tensor"
)

// config holds the command's flags.
type config struct {
	dataDir  string
	download bool
	epochs   int
	batch    int
	lr       float64
	seed     uint64
	out      string
	model    string
	threads  int
	resume   bool
	quiet    bool
	limit    int
	// liteDigits is the number of test digits the exported model runs in
	// the lite runtime (0: all).
	liteDigits int
	// stopAfter ends the run after that many epochs (0: never), as an
	// interruption would; tests use it to check resuming.
	stopAfter int
}

func main() {
	var c config
	flag.StringVar(&c.dataDir, "data", data.DefaultMNISTDir(), "folder with the MNIST IDX files (default $MNIST_DIR, else the cache folder)")
	flag.BoolVar(&c.download, "download", true, "download the MNIST files into -data when they are missing")
	flag.IntVar(&c.epochs, "epochs", 4, "number of epochs")
	flag.IntVar(&c.batch, "batch", 64, "batch size")
	flag.Float64Var(&c.lr, "lr", 2e-3, "peak learning rate (Adam with a one-cycle schedule)")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed (initialisation and shuffling)")
	flag.StringVar(&c.out, "out", "out/mnist", "output folder for the checkpoint, weights, plot and metrics.json")
	flag.StringVar(&c.model, "model", "examplesnet", "network: examplesnet, smallcnn or mlp (the networks of torch_models.py)")
	flag.IntVar(&c.threads, "threads", 0, "CPU threads (0: all cores)")
	flag.BoolVar(&c.resume, "resume", false, "resume from the checkpoint in -out")
	flag.BoolVar(&c.quiet, "quiet", false, "no progress bar, one line per epoch")
	flag.IntVar(&c.limit, "limit", 0, "use only the first N training digits (0: all)")
	flag.IntVar(&c.liteDigits, "lite-digits", 0, "run the first N test digits through the exported model in the lite runtime (0: all)")
	flag.Parse()
	if err := run(c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

// epochStats are one epoch's results.
type epochStats struct {
	Epoch         int     `json:"epoch"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
	Seconds       float64 `json:"seconds"`
	SamplesPerSec float64 `json:"samples_per_second"`
	LR            float64 `json:"lr"`
}

func newModel(name string) (nn.Forwarder, error) {
	switch name {
	case "examplesnet":
		return models.NewExamplesNet(), nil
	case "smallcnn":
		return models.NewSmallCNN(), nil
	case "mlp":
		return models.NewMLP(), nil
	}
	return nil, fmt.Errorf("unknown -model %q (want examplesnet, smallcnn or mlp)", name)
}

func run(c config, stdout, stderr io.Writer) error {
	if c.epochs <= 0 || c.batch <= 0 || c.lr <= 0 {
		return errors.New("-epochs, -batch and -lr must be positive")
	}
	if c.threads > 0 {
		cpu.SetNumThreads(c.threads)
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	tensor.ManualSeed(c.seed)

	norm := data.Compose{data.ToTensor{}, data.Normalize{Mean: []float64{0.1307}, Std: []float64{0.3081}}}
	opts := data.MNISTOptions{Download: c.download, Transform: norm, Logf: func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }}
	train, err := data.MNIST(c.dataDir, true, opts)
	if err != nil {
		return err
	}
	test, err := data.MNIST(c.dataDir, false, opts)
	if err != nil {
		return err
	}
	var trainSet data.Dataset = train
	if c.limit > 0 && c.limit < train.Len() {
		idx := make([]int, c.limit)
		for i := range idx {
			idx[i] = i
		}
		trainSet = &data.Subset{Dataset: train, Indices: idx}
	}
	model, err := newModel(c.model)
	if err != nil {
		return err
	}
	loader := data.NewDataLoader(trainSet, data.LoaderOptions{BatchSize: c.batch, Shuffle: true, NumWorkers: 1})
	testLoader := data.NewDataLoader(test, data.LoaderOptions{BatchSize: 500})
	opt := optim.NewAdam(nn.Parameters(model), optim.AdamOptions{LR: c.lr})
	sched := optim.NewOneCycleLR(opt, c.lr, c.epochs*loader.Len())

	ckptPath := filepath.Join(c.out, "checkpoint.safetensors")
	var history []epochStats
	start := 0
	if c.resume {
		st := checkpoint.State{Model: model, Optimizer: opt, Scheduler: sched, RNG: tensor.DefaultGenerator()}
		if err := checkpoint.Load(ckptPath, &st); err != nil {
			return fmt.Errorf("resuming: %w", err)
		}
		start = st.Epoch
		if st.Extra["epochs"] != fmt.Sprint(c.epochs) || st.Extra["model"] != c.model {
			return fmt.Errorf("resuming: the checkpoint is of a %s run of %s epochs (its one-cycle schedule is fixed); resume with -model %s -epochs %s",
				st.Extra["model"], st.Extra["epochs"], st.Extra["model"], st.Extra["epochs"])
		}
		history, err = decodeHistory(st.Extra["history"])
		if err != nil {
			return fmt.Errorf("resuming: %w", err)
		}
		fmt.Fprintf(stdout, "resumed from %s after epoch %d\n", ckptPath, start)
	}

	fmt.Fprintf(stdout, "MNIST: %d training and %d test digits from %s; model %s (%d parameters); %d threads\n",
		trainSet.Len(), test.Len(), c.dataDir, c.model, countParams(model), cpu.NumThreads())
	trainStart := time.Now()
	for epoch := start; epoch < c.epochs; epoch++ {
		loader.SetEpoch(epoch)
		t0 := time.Now()
		bar := newProgress(stderr, fmt.Sprintf("epoch %d/%d", epoch+1, c.epochs), trainSet.Len(), c.quiet)
		nn.Train(model)
		var lossSum float64
		var correct, seen int
		for batch, err := range loader.All() {
			if err != nil {
				return err
			}
			x, y := batch[0], batch[1]
			out := model.Forward(x)
			loss := lossFor(c.model, out, y)
			opt.ZeroGrad()
			loss.Backward()
			opt.Step()
			sched.Step()
			n := y.Size(0)
			lossSum += loss.Item() * float64(n)
			correct += countCorrect(out, y)
			seen += n
			bar.update(seen, lossSum/float64(seen), float64(correct)/float64(seen))
		}
		trainSecs := time.Since(t0).Seconds()
		bar.finish()
		testLoss, testAcc, err := evaluate(c.model, model, testLoader)
		if err != nil {
			return err
		}
		st := epochStats{Epoch: epoch + 1, TrainLoss: lossSum / float64(seen), TrainAccuracy: float64(correct) / float64(seen),
			TestLoss: testLoss, TestAccuracy: testAcc, Seconds: time.Since(t0).Seconds(), SamplesPerSec: float64(seen) / trainSecs,
			LR: sched.LastLR()[0]}
		history = append(history, st)
		fmt.Fprintf(stdout, "epoch %d: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%% | %.0f samples/s, %.1fs\n",
			st.Epoch, st.TrainLoss, 100*st.TrainAccuracy, st.TestLoss, 100*st.TestAccuracy, st.SamplesPerSec, st.Seconds)
		hist, err := encodeHistory(history)
		if err != nil {
			return err
		}
		if err := checkpoint.Save(ckptPath, checkpoint.State{Model: model, Optimizer: opt, Scheduler: sched, Epoch: epoch + 1,
			RNG: tensor.DefaultGenerator(), Extra: map[string]string{"history": hist, "model": c.model, "epochs": fmt.Sprint(c.epochs)}}); err != nil {
			return err
		}
		if c.stopAfter > 0 && epoch+1 == c.stopAfter && epoch+1 < c.epochs {
			fmt.Fprintf(stdout, "stopping after epoch %d; resume with -resume\n", epoch+1)
			return nil
		}
	}
	trainSeconds := time.Since(trainStart).Seconds()
	if len(history) == 0 {
		return errors.New("nothing to do: the checkpoint already has all epochs")
	}
	if err := checkpoint.SaveModel(filepath.Join(c.out, "model.safetensors"), model); err != nil {
		return err
	}
	if err := plotCurves(filepath.Join(c.out, "curves.png"), history); err != nil {
		return err
	}
	ls, err := exportLite(c, model, test, stderr)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	last := history[len(history)-1]
	if err := writeMetrics(filepath.Join(c.out, "metrics.json"), metrics{
		TestAccuracy: last.TestAccuracy, TestLoss: last.TestLoss, Epochs: len(history), TrainSeconds: trainSeconds,
		TrainSamples: trainSet.Len(), TestSamples: test.Len(), Model: c.model, Parameters: countParams(model),
		BatchSize: c.batch, LR: c.lr, Seed: c.seed, Threads: cpu.NumThreads(), History: history,
		LiteAccuracy: ls.Accuracy(), LiteDigits: ls.Digits, LiteP50ms: ls.P50ms, LiteP90ms: ls.P90ms,
		EmberFileBytes: ls.FileBytes, LiteArenaBytes: ls.ArenaBytes,
	}); err != nil {
		return err
	}
	printSummary(stdout, history, trainSeconds, c.out)
	printLite(stdout, ls)
	return nil
}

// lossFor is the training loss: NLL on ExamplesNet's log-probabilities,
// cross entropy on the other networks' logits.
func lossFor(model string, out, y *tensor.Tensor) *tensor.Tensor {
	if model == "examplesnet" {
		return F.NLLLoss(out, y)
	}
	return F.CrossEntropy(out, y)
}

func countCorrect(out, y *tensor.Tensor) int {
	pred := out.Detach().ArgmaxDim(1, false)
	return int(pred.Eq(y).Sum().Item())
}

func evaluate(name string, m nn.Forwarder, l *data.DataLoader) (loss, acc float64, err error) {
	nn.Eval(m)
	restore := tensor.SetGradEnabled(false)
	defer restore()
	var sum float64
	var correct, n int
	for batch, err := range l.All() {
		if err != nil {
			return 0, 0, err
		}
		x, y := batch[0], batch[1]
		out := m.Forward(x)
		sum += lossFor(name, out, y).Item() * float64(y.Size(0))
		correct += countCorrect(out, y)
		n += y.Size(0)
	}
	return sum / float64(n), float64(correct) / float64(n), nil
}

func countParams(m nn.Module) int {
	n := 0
	for _, p := range nn.Parameters(m) {
		n += p.Numel()
	}
	return n
}
