package http_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestProposalReadAndPosition(t *testing.T) {
	env := newTestEnv(t)
	status, body := env.request("GET", "/api/v1/proposals/testif-1", "", "")
	if status != 200 || !strings.Contains(body, `"blocking": true`) {
		t.Fatalf("GET proposal: %d %s", status, body)
	}
	status, body = env.request("POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack","text":"fine"}`)
	if status != 201 {
		t.Fatalf("POST position: %d %s", status, body)
	}
	var e struct {
		Actor string `json:"actor"`
		Seq   int64  `json:"seq"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Actor != "maint" || e.Seq == 0 {
		t.Fatalf("event %s: %v", body, err)
	}
}
