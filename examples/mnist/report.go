package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/emberml/ember/nn/safetensors"
)

// progress shows an epoch's progress: a bar with loss, accuracy,
// samples/s and ETA on a terminal; a line at each quarter otherwise (logs).
type progress struct {
	bar          *progressbar.ProgressBar
	w            io.Writer
	label        string
	total, shown int
	start        time.Time
	quiet        bool
	lastLoss     float64
	lastAcc      float64
}

func newProgress(w io.Writer, label string, total int, quiet bool) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), quiet: quiet}
	if f, ok := w.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionSetWidth(25),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("samples"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	return p
}

func (p *progress) update(seen int, loss, acc float64) {
	p.lastLoss, p.lastAcc = loss, acc
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%s loss %.4f acc %5.2f%%", p.label, loss, 100*acc))
		_ = p.bar.Set(seen)
		return
	}
	if p.quiet {
		return
	}
	// Without a terminal: a line at 25%, 50%, 75%.
	for q := p.shown + 1; q <= 3 && seen*4 >= q*p.total; q++ {
		p.shown = q
		el := time.Since(p.start).Seconds()
		rate := float64(seen) / el
		eta := float64(p.total-seen) / rate
		fmt.Fprintf(p.w, "%s [%3d%%] %d/%d loss %.4f acc %.2f%% %.0f samples/s ETA %.0fs\n",
			p.label, 25*q, seen, p.total, loss, 100*acc, rate, eta)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}

// metrics is what metrics.json holds.
type metrics struct {
	TestAccuracy float64      `json:"test_accuracy"`
	TestLoss     float64      `json:"test_loss"`
	Epochs       int          `json:"epochs"`
	TrainSeconds float64      `json:"train_seconds"`
	TrainSamples int          `json:"train_samples"`
	TestSamples  int          `json:"test_samples"`
	Model        string       `json:"model"`
	Parameters   int          `json:"parameters"`
	BatchSize    int          `json:"batch_size"`
	LR           float64      `json:"lr"`
	Seed         uint64       `json:"seed"`
	Threads      int          `json:"threads"`
	History      []epochStats `json:"history"`
	// The exported model in the lite runtime (examples/mnist/export.go):
	// its accuracy on the first LiteDigits test digits, its latency per
	// digit at batch 1, the size of model.ember and of its arena.
	LiteAccuracy   float64 `json:"lite_accuracy"`
	LiteDigits     int     `json:"lite_digits"`
	LiteP50ms      float64 `json:"lite_p50_ms"`
	LiteP90ms      float64 `json:"lite_p90_ms"`
	EmberFileBytes int64   `json:"ember_file_bytes"`
	LiteArenaBytes int64   `json:"lite_arena_bytes"`
}

func writeMetrics(path string, m metrics) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return safetensors.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

func encodeHistory(h []epochStats) (string, error) {
	b, err := json.Marshal(h)
	return string(b), err
}

func decodeHistory(s string) ([]epochStats, error) {
	if s == "" {
		return nil, nil
	}
	var h []epochStats
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return nil, fmt.Errorf("checkpoint history: %w", err)
	}
	return h, nil
}

// plotCurves draws the loss (left) and accuracy (right) per epoch, train
// and test, into a PNG written atomically.
func plotCurves(path string, h []epochStats) error {
	lossPlot, accPlot := plot.New(), plot.New()
	lossPlot.Title.Text, accPlot.Title.Text = "Loss", "Accuracy (%)"
	lossPlot.X.Label.Text, accPlot.X.Label.Text = "epoch", "epoch"
	series := func(f func(epochStats) float64) plotter.XYs {
		xy := make(plotter.XYs, len(h))
		for i, s := range h {
			xy[i].X, xy[i].Y = float64(s.Epoch), f(s)
		}
		return xy
	}
	add := func(p *plot.Plot, name string, xy plotter.XYs, c color.Color, dashed bool) error {
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.Color, pts.Color = c, c
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l, pts)
		p.Legend.Add(name, l, pts)
		return nil
	}
	blue, orange := color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}
	for _, e := range []error{
		add(lossPlot, "train", series(func(s epochStats) float64 { return s.TrainLoss }), blue, false),
		add(lossPlot, "test", series(func(s epochStats) float64 { return s.TestLoss }), orange, true),
		add(accPlot, "train", series(func(s epochStats) float64 { return 100 * s.TrainAccuracy }), blue, false),
		add(accPlot, "test", series(func(s epochStats) float64 { return 100 * s.TestAccuracy }), orange, true),
	} {
		if e != nil {
			return e
		}
	}
	lossPlot.Legend.Top = true
	accPlot.Legend.Top, accPlot.Legend.Left = false, false
	img := vgimg.New(10*vg.Inch, 4*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 2, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	plots := [][]*plot.Plot{{lossPlot, accPlot}}
	canvases := plot.Align(plots, tiles, dc)
	lossPlot.Draw(canvases[0][0])
	accPlot.Draw(canvases[0][1])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return safetensors.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

func printSummary(w io.Writer, h []epochStats, secs float64, out string) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "epoch\ttrain loss\ttrain acc\ttest loss\ttest acc\tsamples/s\tseconds\t")
	fmt.Fprintln(tw, strings.Repeat("-", 5)+"\t"+strings.Repeat("-", 10)+"\t"+strings.Repeat("-", 9)+"\t"+strings.Repeat("-", 9)+"\t"+strings.Repeat("-", 8)+"\t"+strings.Repeat("-", 9)+"\t"+strings.Repeat("-", 7)+"\t")
	for _, s := range h {
		fmt.Fprintf(tw, "%d\t%.4f\t%.2f%%\t%.4f\t%.2f%%\t%.0f\t%.1f\t\n", s.Epoch, s.TrainLoss, 100*s.TrainAccuracy, s.TestLoss, 100*s.TestAccuracy, s.SamplesPerSec, s.Seconds)
	}
	tw.Flush()
	last := h[len(h)-1]
	fmt.Fprintf(w, "\ntest accuracy %.2f%% after %d epochs, %.1fs of training; wrote %s/{checkpoint.safetensors,model.safetensors,model.ember,curves.png,metrics.json}\n",
		100*last.TestAccuracy, len(h), secs, out)
}
