package http

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkOpenAPI compares serving the OpenAPI document rendered once
// with rendering it for every request (the baseline, as before).
func BenchmarkOpenAPI(b *testing.B) {
	req := httptest.NewRequest("GET", apiPrefix+"/openapi.json", nil)
	s := &Server{}
	b.Run("rendered-each-time", func(b *testing.B) {
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), http.StatusOK, openAPI())
		}
	})
	b.Run("rendered-once", func(b *testing.B) {
		for b.Loop() {
			s.serveOpenAPI(httptest.NewRecorder(), req)
		}
	})
}
