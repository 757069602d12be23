package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// keyAdmin runs `shallot key ARGS --data DATA` against d.
func keyAdmin(t testing.TB, d *daemon, args ...string) (string, error) {
	t.Helper()
	bin, err := daemonBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(append([]string{"key"}, args...), "--data", d.Data)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type keyInfo struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
	Uid       uint32 `json:"uid"`
	Gid       uint32 `json:"gid"`
	Disabled  bool   `json:"disabled"`
}

func mustKeyJSON(t testing.TB, d *daemon, args ...string) []keyInfo {
	t.Helper()
	out, err := keyAdmin(t, d, append(args, "--json")...)
	if err != nil {
		t.Fatalf("shallot key %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var ks []keyInfo
	if err := json.Unmarshal([]byte(out), &ks); err != nil {
		t.Fatalf("shallot key %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return ks
}

// TestKeyAdmin creates keys on the running daemon and checks what they
// may do and whom their objects belong to.
func TestKeyAdmin(t *testing.T) {
	d := sharedDaemon(t)
	cli := awsCLIs[1]
	needTool(t, cli.Path, cli.Install)
	access, secret := "E2EUSER"+strings.ToUpper(randHex(4)), "e2e-secret-"+randHex(12)

	ks := mustKeyJSON(t, d, "create", "--uid", "60101", "--gid", "10", "--access-key", access, "--secret-key", secret)
	if len(ks) != 1 || ks[0].AccessKey != access || ks[0].Uid != 60101 || ks[0].Gid != 10 {
		t.Fatalf("key create answered %+v", ks)
	}
	// A generated pair works the same way.
	gen := mustKeyJSON(t, d, "create", "--uid", "60102", "--gid", "10")
	if len(gen) != 1 || gen[0].AccessKey == "" || gen[0].SecretKey == "" {
		t.Fatalf("key create without a pair answered %+v", gen)
	}
	listed := mustKeyJSON(t, d, "list")
	found := false
	for _, k := range listed {
		found = found || (k.AccessKey == access && k.Uid == 60101 && !k.Disabled)
	}
	if !found {
		t.Errorf("key list lacks %s as 60101:10, enabled: %+v", access, listed)
	}

	c := newClientKey(t, d, access, secret)
	local := t.TempDir()
	body := writeFile(t, local, "owned.txt", []byte("owned by 60101\n"))
	bucket := "keys-" + randHex(4)
	b := filepath.Join(d.Mount, bucket)

	t.Run("objects belong to the key's uid:gid", func(t *testing.T) {
		c.AWS(t, cli, "s3", "mb", "s3://"+bucket)
		c.AWS(t, cli, "s3", "cp", body, "s3://"+bucket+"/sub/owned.txt")
		for _, p := range []string{b, filepath.Join(b, "sub"), filepath.Join(b, "sub", "owned.txt")} {
			var st syscall.Stat_t
			if err := syscall.Stat(p, &st); err != nil {
				t.Fatalf("stat %s: %v", p, err)
			}
			if st.Uid != 60101 || st.Gid != 10 {
				t.Errorf("%s is owned by %d:%d, want 60101:10", p, st.Uid, st.Gid)
			}
		}
		out := sh(t, "stat -c %u:%g "+shq(filepath.Join(b, "sub", "owned.txt")))
		if strings.TrimSpace(out) != "60101:10" {
			t.Errorf("stat -c %%u:%%g = %q, want 60101:10", out)
		}
	})

	t.Run("permissions mean the same through both doors", func(t *testing.T) {
		// The root user's bucket, mode 0755: another uid may read, not write.
		rootBucket := newBucket(t, d, "keys-root")
		if r := rootS3(d).Do(t, "PUT", "/"+rootBucket+"/public.txt", nil, []byte("readable\n")); r.Status != 200 {
			t.Fatalf("PUT as root: %s", r)
		}
		u := newS3Raw(d, access, secret)
		if r := u.Do(t, "GET", "/"+rootBucket+"/public.txt", nil, nil); r.Status != 200 {
			t.Errorf("GET of a 0644 file in a 0755 directory by another uid: %s", r)
		}
		if r := u.Do(t, "PUT", "/"+rootBucket+"/intruder.txt", nil, []byte("no\n")); r.Status != 403 || r.ErrorCode() != "AccessDenied" {
			t.Errorf("PUT into root's 0755 directory by uid 60101: HTTP %d %s, want 403 AccessDenied", r.Status, r.ErrorCode())
		}
		if _, err := os.Stat(filepath.Join(d.Mount, rootBucket, "intruder.txt")); !os.IsNotExist(err) {
			t.Errorf("intruder.txt on the mount: %v, want ENOENT", err)
		}
		// A file made private on the mount is private over S3.
		p := filepath.Join(d.Mount, rootBucket, "private.txt")
		if err := os.WriteFile(p, []byte("secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := u.Do(t, "GET", "/"+rootBucket+"/private.txt", nil, nil); r.Status != 403 {
			t.Errorf("GET of root's 0600 file by uid 60101: HTTP %d, want 403", r.Status)
		}
	})

	t.Run("bad credentials are refused", func(t *testing.T) {
		if r := newS3Raw(d, access, "wrong-secret").Do(t, "GET", "/"+bucket, nil, nil); r.Status != 403 || r.ErrorCode() != "SignatureDoesNotMatch" {
			t.Errorf("wrong secret: HTTP %d %s, want 403 SignatureDoesNotMatch", r.Status, r.ErrorCode())
		}
		if r := newS3Raw(d, "NOSUCHKEY123", secret).Do(t, "GET", "/"+bucket, nil, nil); r.Status != 403 || r.ErrorCode() != "InvalidAccessKeyId" {
			t.Errorf("unknown key: HTTP %d %s, want 403 InvalidAccessKeyId", r.Status, r.ErrorCode())
		}
	})

	t.Run("disable and enable", func(t *testing.T) {
		if out, err := keyAdmin(t, d, "disable", access); err != nil {
			t.Fatalf("key disable: %v\n%s", err, out)
		}
		r := c.AWSExec(cli, "s3", "cp", body, "s3://"+bucket+"/after-disable.txt")
		if r.Err == nil || !strings.Contains(r.Stderr, "403") && !strings.Contains(r.Stderr, "Forbidden") && !strings.Contains(r.Stderr, "AccessDenied") && !strings.Contains(r.Stderr, "InvalidAccessKeyId") {
			t.Errorf("upload with a disabled key was not refused with 403:\n%s", r)
		}
		u := newS3Raw(d, access, secret)
		if r := u.Do(t, "GET", "/"+bucket+"/sub/owned.txt", nil, nil); r.Status != 403 {
			t.Errorf("GET with a disabled key: HTTP %d %s, want 403", r.Status, r.ErrorCode())
		}
		if _, err := os.Stat(filepath.Join(b, "after-disable.txt")); !os.IsNotExist(err) {
			t.Errorf("after-disable.txt on the mount: %v, want ENOENT", err)
		}
		if out, err := keyAdmin(t, d, "enable", access); err != nil {
			t.Fatalf("key enable: %v\n%s", err, out)
		}
		if r := u.Do(t, "GET", "/"+bucket+"/sub/owned.txt", nil, nil); r.Status != 200 {
			t.Errorf("GET after key enable: %s", r)
		}
	})

	t.Run("reset", func(t *testing.T) {
		ks := mustKeyJSON(t, d, "reset", access, "--secret-key", secret+"-new")
		if len(ks) != 1 || ks[0].SecretKey != secret+"-new" {
			t.Fatalf("key reset answered %+v", ks)
		}
		if r := newS3Raw(d, access, secret).Do(t, "GET", "/"+bucket+"/sub/owned.txt", nil, nil); r.Status != 403 {
			t.Errorf("GET with the old secret after reset: HTTP %d, want 403", r.Status)
		}
		if r := newS3Raw(d, access, secret+"-new").Do(t, "GET", "/"+bucket+"/sub/owned.txt", nil, nil); r.Status != 200 {
			t.Errorf("GET with the new secret after reset: %s", r)
		}
	})
}
