package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore"
)

// adminSocketName is the unix socket under the data directory on which a
// running daemon takes admin commands (badger allows one process only).
const adminSocketName = "admin.sock"

// keyRequest is the admin protocol: one JSON request, one JSON answer.
type keyRequest struct {
	Op        string `json:"op"` // create, list, disable, enable, reset
	AccessKey string `json:"access_key,omitempty"`
	SecretKey string `json:"secret_key,omitempty"`
	Uid       uint32 `json:"uid"`
	Gid       uint32 `json:"gid"`
}

type keyJSON struct {
	AccessKey string    `json:"access_key"`
	SecretKey string    `json:"secret_key,omitempty"`
	Uid       uint32    `json:"uid"`
	Gid       uint32    `json:"gid"`
	Disabled  bool      `json:"disabled"`
	Root      bool      `json:"root"`
	Created   time.Time `json:"created"`
}

type keyResponse struct {
	Keys  []keyJSON `json:"keys,omitempty"`
	Error string    `json:"error,omitempty"`
}

// doKeyOp runs one key command against a registry; the daemon and the
// offline command share it.
func doKeyOp(ctx context.Context, keys *objstore.Keys, req keyRequest) ([]objstore.AccessKey, error) {
	switch req.Op {
	case "list":
		return keys.List(ctx)
	case "create":
		k, err := keys.Create(ctx, objstore.AccessKey{AccessKey: req.AccessKey, SecretKey: req.SecretKey,
			Owner: objstore.Owner{Uid: req.Uid, Gid: req.Gid}})
		return []objstore.AccessKey{k}, err
	case "disable", "enable", "reset":
		k, err := keys.Update(ctx, req.AccessKey, func(a *objstore.AccessKey) {
			switch req.Op {
			case "disable":
				a.Disabled = true
			case "enable":
				a.Disabled = false
			case "reset":
				a.SecretKey = req.SecretKey
				if a.SecretKey == "" {
					a.SecretKey = objstore.NewSecret()
				}
			}
		})
		return []objstore.AccessKey{k}, err
	}
	return nil, fmt.Errorf("unknown key operation %q", req.Op)
}

type adminServer struct {
	srv  *http.Server
	path string
}

func startAdmin(path string, keys *objstore.Keys, maint *objstore.Maintenance, log *logrus.Entry) (*adminServer, error) {
	// A socket left by a killed daemon refuses connections: replace it.
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("another daemon answers on %s", path)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /keys", func(w http.ResponseWriter, r *http.Request) {
		var req keyRequest
		var resp keyResponse
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
			resp.Error = fmt.Sprintf("bad request: %v", err)
		} else if ks, err := doKeyOp(r.Context(), keys, req); err != nil {
			resp.Error = err.Error()
		} else {
			resp.Keys = toJSON(ks)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	registerMaintenance(mux, maint)
	a := &adminServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, path: path}
	go func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WithError(err).Error("admin socket stopped")
		}
	}()
	return a, nil
}

func (a *adminServer) Close() {
	a.srv.Close()
	os.Remove(a.path)
}

func toJSON(ks []objstore.AccessKey) []keyJSON {
	out := make([]keyJSON, len(ks))
	for i, k := range ks {
		out[i] = keyJSON{AccessKey: k.AccessKey, SecretKey: k.SecretKey, Uid: k.Owner.Uid, Gid: k.Owner.Gid,
			Disabled: k.Disabled, Root: k.Root, Created: k.Created}
	}
	return out
}
