// The second yardstick of bench/healthz.sh: the health service telecom teams write by hand in Go.
// net/http with golang.org/x/net/http2 (h2c prior knowledge through h2c.NewHandler) on one
// plaintext port, a 500 ms handler deadline (http.TimeoutHandler), 1 s read and write timeouts,
// answering {"status":"UP","timestamp":...}. Built offline from Debian's packages:
//   GO111MODULE=off GOPATH=/usr/share/gocode go build -o DIR/go-health bench/go_health/main.go
// Run with PORT=N (and GOMAXPROCS=1, pinned like the other servers).
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

type health struct {
	Status    string `json:"status"`
	Timestamp string `json:"timestamp"`
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(health{Status: "UP", Timestamp: time.Now().UTC().Format(time.RFC3339Nano)})
	})
	handler := http.TimeoutHandler(mux, 500*time.Millisecond, `{"status":"TIMEOUT"}`)
	srv := &http.Server{
		Addr:         "127.0.0.1:" + os.Getenv("PORT"),
		Handler:      h2c.NewHandler(handler, &http2.Server{}),
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
