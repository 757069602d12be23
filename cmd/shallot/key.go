package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"text/tabwriter"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore"
)

func runKey(args []string) error {
	if len(args) == 0 {
		return errors.New("want a subcommand: create, list, disable, enable, reset")
	}
	req := keyRequest{Op: args[0]}
	fs := flag.NewFlagSet("key "+args[0], flag.ContinueOnError)
	data := fs.String("data", "./shallot-data", "the daemon's data directory")
	uid := fs.Uint("uid", 0, "POSIX uid the key acts as (create)")
	gid := fs.Uint("gid", 0, "POSIX gid the key acts as (create)")
	fs.StringVar(&req.AccessKey, "access-key", "", "access key (create: generated when empty)")
	fs.StringVar(&req.SecretKey, "secret-key", "", "secret key (create, reset: generated when empty)")
	asJSON := fs.Bool("json", false, "print JSON")
	// Accept the access key as a positional argument before or after flags.
	rest := args[1:]
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		req.AccessKey, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if fs.NArg() == 1 && req.AccessKey == "" {
		req.AccessKey = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	req.Uid, req.Gid = uint32(*uid), uint32(*gid)
	switch req.Op {
	case "create", "list":
	case "disable", "enable", "reset":
		if req.AccessKey == "" {
			return fmt.Errorf("key %s: name the access key", req.Op)
		}
	default:
		return fmt.Errorf("unknown subcommand %q (want create, list, disable, enable, reset)", req.Op)
	}
	keys, err := keyOp(*data, req)
	if err != nil {
		return err
	}
	return printKeys(keys, req.Op, *asJSON)
}

// keyOp asks the running daemon over its socket, or opens the metadata
// itself when no daemon runs.
func keyOp(data string, req keyRequest) ([]keyJSON, error) {
	sock := filepath.Join(data, adminSocketName)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	body, _ := json.Marshal(req)
	resp, err := client.Post("http://shallot/keys", "application/json", bytes.NewReader(body))
	if err == nil {
		defer resp.Body.Close()
		var kr keyResponse
		if err := json.NewDecoder(resp.Body).Decode(&kr); err != nil {
			return nil, fmt.Errorf("daemon answer: %w", err)
		}
		if kr.Error != "" {
			return nil, errors.New(kr.Error)
		}
		return kr.Keys, nil
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("daemon socket %s: %w", sock, err)
	}
	if _, err := os.Stat(filepath.Join(data, "meta")); err != nil {
		return nil, fmt.Errorf("no shallot data in %s (start it once with shallot serve --data %s): %w", data, data, err)
	}
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	db, err := meta.Open(meta.Options{Dir: filepath.Join(data, "meta"), Log: logrus.NewEntry(log)})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ks, err := doKeyOp(context.Background(), objstore.NewKeys(db), req)
	if err != nil {
		return nil, err
	}
	return toJSON(ks), nil
}

func printKeys(keys []keyJSON, op string, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(keys)
	}
	if op == "create" || op == "reset" {
		for _, k := range keys {
			fmt.Printf("access key: %s\nsecret key: %s\nfsuid:      %d:%d\n", k.AccessKey, k.SecretKey, k.Uid, k.Gid)
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ACCESS KEY\tFSUID\tSTATE\tROOT\tCREATED")
	for _, k := range keys {
		state := "enabled"
		if k.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(w, "%s\t%d:%d\t%s\t%v\t%s\n", k.AccessKey, k.Uid, k.Gid, state, k.Root, k.Created.Format("2006-01-02 15:04:05"))
	}
	return w.Flush()
}
