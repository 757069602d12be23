package tests

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// s3protoDaemon is a shallot daemon serving S3 only (no mount), reached
// directly over HTTP and through a TLS-terminating proxy: AWS SDKs send
// checksums in aws-chunked trailers only over HTTPS, so both paths need a
// client. It stands in for the shared daemon fixture of tests/ until that
// one offers what these tests need.
type s3protoDaemon struct {
	endpoint    string // http://127.0.0.1:PORT
	tlsEndpoint string // https://127.0.0.1:PORT, proxied to endpoint
	tlsClient   *http.Client
	caFile      string // PEM of the proxy's certificate, for other runtimes
	access      string
	secret      string
	region      string
	log         string // daemon output

	mu sync.Mutex
	// modes counts the x-amz-content-sha256 values (hashes as "hex")
	// of requests through the TLS proxy: what the clients really sent.
	modes map[string]int
}

// payloadModes returns a copy of the payload modes seen by the proxy.
func (d *s3protoDaemon) payloadModes() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]int{}
	for k, v := range d.modes {
		out[k] = v
	}
	return out
}

const s3protoDomain = "s3.localhost"

// s3protoBinary builds the daemon into dir (go build caches the work).
func s3protoBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "shallot")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/shallot-storage/shallot/cmd/shallot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build shallot: %v\n%s", err, out)
	}
	return bin
}

func s3protoFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func startS3ProtoDaemon(t *testing.T) *s3protoDaemon {
	t.Helper()
	dir := t.TempDir()
	bin := s3protoBinary(t, dir)
	d := &s3protoDaemon{access: "AKIDS3PROTO", secret: "s3proto/secret+key", region: "us-east-1", log: filepath.Join(dir, "daemon.log")}
	addr := s3protoFreePort(t)
	logf, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--data", filepath.Join(dir, "data"), "--no-mount",
		"--s3-addr", addr, "--domain", s3protoDomain, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "SHALLOT_ROOT_USER="+d.access, "SHALLOT_ROOT_PASSWORD="+d.secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			out, _ := os.ReadFile(d.log)
			t.Logf("daemon output:\n%s", out)
		}
	})
	d.endpoint = "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(d.endpoint + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			out, _ := os.ReadFile(d.log)
			t.Fatalf("daemon exited: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not listen on %s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The proxy keeps the Host the client signed and streams bodies both
	// ways.
	target, _ := url.Parse(d.endpoint)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	d.modes = map[string]int{}
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		mode := r.Header.Get("X-Amz-Content-Sha256")
		if len(mode) == 64 && !strings.HasPrefix(mode, "STREAMING") {
			mode = "hex"
		}
		if mode != "" {
			d.mu.Lock()
			d.modes[mode]++
			d.mu.Unlock()
		}
		direct(r)
	}
	ts := httptest.NewTLSServer(proxy)
	t.Cleanup(ts.Close)
	d.tlsEndpoint = ts.URL
	d.tlsClient = ts.Client()
	var pemBuf bytes.Buffer
	_ = pem.Encode(&pemBuf, &pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	d.caFile = filepath.Join(dir, "proxy-ca.pem")
	if err := os.WriteFile(d.caFile, pemBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// s3protoBucket makes a bucket name unique to a test.
func s3protoBucket(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
}
