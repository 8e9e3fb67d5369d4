package specs_test

import (
	"context"
	"slices"
	"testing"

	"github.com/xen-pvczar/pvczar/pvspec/handshake"
)

// knownHandshake is what spec verify finds in each real spec with a
// handshake, as property/fault; each is written up in FINDINGS.md
// ("spec verify"). A spec not listed must verify clean.
var knownHandshake = map[string][]string{
	"9pfs":     {"deadlock/frontend-resume"},
	"blkif":    {"deadlock/frontend-resume", "teardown/"},
	"pvcalls":  {"deadlock/frontend-resume"},
	"displif":  {"deadlock/"},
	"sndif":    {"deadlock/"},
	"cameraif": {"deadlock/"},
}

// TestSpecsHandshake verifies every real spec's handshake: every feature
// setting, with faults.
func TestSpecsHandshake(t *testing.T) {
	for _, s := range load(t) {
		if len(s.Handshake) == 0 {
			continue
		}
		r, err := handshake.Verify(context.Background(), s, handshake.Options{})
		if err != nil {
			t.Errorf("%s: %v", s.File, err)
			continue
		}
		var got []string
		for _, f := range r.Failures {
			got = append(got, f.Property+"/"+f.Fault)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(knownHandshake[s.ID]))
		if !slices.Equal(got, want) {
			for _, f := range r.Failures {
				t.Logf("%s\n%s", f, f.Trace)
			}
			t.Errorf("%s: failures %v, want %v (FINDINGS.md)", s.File, got, want)
		}
		t.Logf("%s: %d configuration(s), %d states in %s", s.File, r.Configs, r.States, r.Elapsed)
	}
}

// BenchmarkVerify verifies each real spec with a handshake, against
// itself as the old version too (every pairing), as bench/README.md
// reports.
func BenchmarkVerify(b *testing.B) {
	for _, s := range load(&testing.T{}) {
		if len(s.Handshake) == 0 {
			continue
		}
		b.Run(s.ID, func(b *testing.B) {
			var r *handshake.Result
			for b.Loop() {
				var err error
				if r, err = handshake.Verify(context.Background(), s, handshake.Options{Old: s}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.States), "states")
			b.ReportMetric(float64(r.Configs), "configs")
		})
	}
}
