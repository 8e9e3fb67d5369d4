package handshake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/pvspec/handshake"
)

// FuzzVerify builds a random handshake from the input, 4 bytes a step
// (side and phase, from, to, after, and which keys it reads and writes),
// and checks that spec check and the verifier finish on it, in time, with
// a result or a bound's error.
func FuzzVerify(f *testing.F) {
	f.Add([]byte{0x01, 0x11, 0x20, 0x03, 0x00, 0x13, 0x22, 0x0c, 0x01, 0x24, 0x30, 0x30, 0x00, 0x34, 0x44, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x02, 0x56, 0x65, 0x5a, 0x03, 0x61, 0x16, 0x6f})
	keys := []string{"a", "b", "c", "d"}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &pvspec.Spec{Pvspec: 1, ID: "fuzz", Title: "Fuzz", Version: 2, File: "fuzz.yaml",
			Versioning: pvspec.Versioning{OfferedBy: "backend", OfferKey: "a", ChosenBy: "frontend", ChoiceKey: "c", Offered: []int{1, 2}},
			Features:   []*pvspec.Feature{{Name: "f", AdvertisedBy: "backend", Key: "b", Default: "0"}, {Name: "g", AdvertisedBy: "toolstack", Key: "t", Default: "0"}},
			Xenstore: []*pvspec.Key{
				{Name: "a", Side: "backend", Type: "list", Required: true},
				{Name: "b", Side: "backend", Type: "bool", Default: "0", Feature: "f"},
				{Name: "c", Side: "frontend", Type: "uint", Required: true, Since: 2},
				{Name: "d", Side: "frontend", Type: "uint", Required: true, Feature: "f"},
				{Name: "t", Side: "toolstack", Type: "bool", Feature: "g"},
			}}
		for i := 0; i+3 < len(data) && len(s.Handshake) < 24; i += 4 {
			b := data[i : i+4]
			st := &pvspec.Step{Phase: pvspec.Phases[int(b[0]>>1)%len(pvspec.Phases)], Side: []string{"frontend", "backend"}[b[0]&1],
				From: pvspec.XenbusStates[int(b[1]>>4)%9], To: pvspec.XenbusStates[int(b[1]&15)%9], Optional: b[2]&0x80 != 0, Pos: pvspec.Pos{Line: i/4 + 1, Column: 1}}
			if a := int(b[2]>>4) & 7; a < 7 {
				st.After = pvspec.XenbusStates[a+1]
			}
			if b[2]&8 != 0 {
				st.Feature = "f"
			}
			if b[2]&4 != 0 {
				st.Since = 2
			}
			for k := range 4 {
				if b[3]>>k&1 != 0 {
					st.Reads = append(st.Reads, keys[k])
				}
				if b[3]>>(k+4)&1 != 0 {
					st.Writes = append(st.Writes, keys[k])
				}
			}
			s.Handshake = append(s.Handshake, st)
		}
		pvspec.Check(s)
		if len(s.Handshake) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		r, err := handshake.Verify(ctx, s, handshake.Options{Old: s, MaxStates: 1 << 14})
		var le *handshake.LimitError
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("the verifier ran for %s", time.Since(start))
		case err != nil && !errors.As(err, &le):
			t.Fatalf("error: %v", err)
		case err == nil:
			for _, f := range r.Failures {
				_ = f.Trace.SVG()
				_ = f.Trace.String()
			}
		}
	})
}
