package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmLayouts checks the layout table against the kernels this machine
// runs.
func TestGemmLayouts(t *testing.T) {
	for _, set := range gemmSets {
		l, ok := gemmLayouts[set.name]
		if !ok || l.nr != set.s.nr || l.kc != set.s.kc {
			t.Errorf("kernel %s: layout %+v in the table, kernel has nr %d kc %d", set.name, l, set.s.nr, set.s.kc)
		}
	}
}

// TestPackedBFrom checks that a PackedB rebuilt from its Data, for the
// kernel in use and (repacked) from every other layout, gives the bits of
// Sgemm.
func TestPackedBFrom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{3, 300, 37}, {1, 5, 1}, {9, 513, 70}} {
		m, k, n := sz[0], sz[1], sz[2]
		a := make([]float32, m*k)
		b := make([]float32, n*k) // [n, k]: a linear weight
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		want := make([]float32, m*n)
		Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, want, n)
		for kernel, l := range gemmLayouts {
			// Pack for kernel's layout by hand (the kernel may not run here).
			kern := &gemmKernel[float32]{name: kernel, nr: l.nr, kc: l.kc}
			npad := gemmRoundUp(n, l.nr)
			data := make([]float32, k*npad)
			src := gemmBSrc[float32]{trans: true, b: b, ldb: k}
			kc := kern.kcFor(k)
			for pc := 0; pc < k; pc += kc {
				kb := min(kc, k-pc)
				src.pack(data[pc*npad:pc*npad+kb*npad], pc, 0, kb, n, l.nr)
			}
			if ln, _ := PackedBLen(kernel, k, n); ln != len(data) {
				t.Fatalf("%s: PackedBLen %d, packed %d", kernel, ln, len(data))
			}
			pb, err := PackedBFrom(kernel, k, n, data)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, m*n)
			SgemmPacked(false, m, 1, a, k, pb, 0, got, n)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s %v: element %d: %v, Sgemm %v", kernel, sz, i, got[i], want[i])
				}
			}
			if kernel == Kernel() && &pb.Data()[0] != &data[0] {
				t.Errorf("%s: the data of the kernel in use was copied", kernel)
			}
		}
		pb := PackB(true, k, n, b, k)
		if pb.Kernel() != Kernel() {
			t.Errorf("PackB kernel %q, in use %q", pb.Kernel(), Kernel())
		}
	}
	if _, err := PackedBFrom("nosuch", 2, 2, make([]float32, 4)); err == nil {
		t.Error("unknown kernel accepted")
	}
	if _, err := PackedBFrom(Kernel(), 2, 2, make([]float32, 3)); err == nil {
		t.Error("short data accepted")
	}
}
