package mail

import (
	"context"
	"github.com/xen-pvczar/pvczar/mail/message"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

// TestIngestBatchBytes: a batch holds at most ingestBatchBytes of messages
// (a single larger message alone), not 256 messages of any size.
func TestIngestBatchBytes(t *testing.T) {
	big := make([]byte, 40<<20) // one buffer shared by the messages: no header, unparseable at once
	var largest int
	in := &ingester{sum: IngestSummary{Refused: map[string]int{}, OverLimit: map[string]int{}}, seen: map[string]bool{},
		archive: noArchive{}, cursors: map[string]string{}, threads: message.NewThreadCounter(), revisions: newRevisions()}
	for i, size := range []int{12 << 20, 12 << 20, 12 << 20, 12 << 20, 1 << 10, 40 << 20} {
		if err := in.add(context.Background(), &mbox.Message{Raw: big[:size], Source: "big.mbox", Line: i + 1}, "big.mbox", ""); err != nil {
			t.Fatal(err)
		}
		if in.batchBytes > ingestBatchBytes && len(in.batch) > 1 {
			t.Fatalf("after message %d: a batch of %d messages, %d bytes", i+1, len(in.batch), in.batchBytes)
		}
		largest = max(largest, in.batchBytes)
	}
	if err := in.finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if in.sum.Read != 6 || in.sum.Unparseable != 6 || largest < 24<<20 {
		t.Fatalf("read %d, unparseable %d, largest batch %d bytes", in.sum.Read, in.sum.Unparseable, largest)
	}
}
