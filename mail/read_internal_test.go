package mail

import "testing"

// FuzzMailPrefilter: the cheap test never turns away a line that the
// regular expressions would read as a trailer or a command.
func FuzzMailPrefilter(f *testing.F) {
	for _, seed := range []string{"Acked-by: a", "aCKED-bY: x", "Objection: x", "hold", "RELEASE ", "x-by:", "-by"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if (trailerLine.MatchString(line) || commandLine.MatchString(line)) && !mayBeTrailerOrCommand(line) {
			t.Fatalf("%q is a trailer or command, and the prefilter skips it", line)
		}
	})
}
