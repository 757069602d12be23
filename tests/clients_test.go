package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// awsCLI is one generation of the aws command line tool.
type awsCLI struct {
	Name    string // subtest name
	Path    string
	Install string // what to install when missing
}

// pythonBoto is one python with its boto3.
type pythonBoto struct {
	Name    string
	Path    string
	Install string
}

// Both generations are tested: they differ in checksum and chunked-upload
// behaviour (aws cli v1.45 / boto3 1.43 send CRC32 in aws-chunked trailers
// by default; Debian's aws cli 2.9 / boto3 1.26 do not).
var (
	awsCLIs = []awsCLI{
		{Name: "awscli-v1.45", Path: "/root/.pyenv/shims/aws", Install: "pip install 'awscli>=1.45' under the pyenv python (/root/.pyenv/shims/python3 -m pip install awscli)"},
		{Name: "awscli-v2.9", Path: "/usr/bin/aws", Install: "the Debian package awscli (apt-get install awscli; `make deps` does it)"},
	}
	pythons = []pythonBoto{
		{Name: "boto3-1.43", Path: "/root/.pyenv/shims/python3", Install: "boto3 1.43 under the pyenv python (/root/.pyenv/shims/python3 -m pip install boto3)"},
		{Name: "boto3-1.26", Path: "/usr/bin/python3", Install: "the Debian package python3-boto3 (apt-get install python3-boto3; `make deps` does it)"},
	}
)

// needTool fails t with what to install when a program is missing.
func needTool(t testing.TB, path, install string) string {
	t.Helper()
	if strings.Contains(path, "/") {
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s is missing (%v): install %s", path, err, install)
		}
		return path
	}
	p, err := exec.LookPath(path)
	if err != nil {
		t.Fatalf("%s is not on PATH: install %s", path, install)
	}
	return p
}

// caVars are dropped from the clients' environment: the endpoint is plain
// http, and rclone 1.60 fails outright with AWS_CA_BUNDLE set.
var caVars = []string{"AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"CURL_CA_BUNDLE", "NIX_SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO"}

// withoutEnv returns env minus the variables named exactly or by prefix
// (a name ending in "_" is a prefix).
func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		for _, n := range names {
			if k == n || (strings.HasSuffix(n, "_") && strings.HasPrefix(k, n)) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// client is the environment of one test's client programs: a private HOME
// with config files for every tool, and credentials for one key.
type client struct {
	t         testing.TB
	d         *daemon
	Home      string
	AccessKey string
	SecretKey string
	env       []string
}

// newClient prepares client programs for d with the root key.
func newClient(t testing.TB, d *daemon) *client {
	return newClientKey(t, d, rootAccessKey, rootSecretKey)
}

// newClientKey prepares client programs for d with the given key.
func newClientKey(t testing.TB, d *daemon, access, secret string) *client {
	t.Helper()
	home := t.TempDir()
	c := &client{t: t, d: d, Home: home, AccessKey: access, SecretKey: secret}
	env := withoutEnv(os.Environ(), append(caVars, "AWS_", "RCLONE_", "BOTO_", "S3CMD_", "HOME", "XDG_CONFIG_HOME", "PAGER")...)
	c.env = append(env,
		"HOME="+home,
		"AWS_ACCESS_KEY_ID="+access,
		"AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, ".aws", "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"RCLONE_CONFIG="+filepath.Join(home, "rclone.conf"),
	)
	c.writeConfigs()
	return c
}

func (c *client) writeConfigs() {
	write := func(rel, content string) {
		p := filepath.Join(c.Home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			c.t.Fatal(err)
		}
	}
	// 8 MiB parts above 8 MiB, as AWS's defaults, written out so that both
	// generations agree.
	write(".aws/config", `[default]
region = us-east-1
s3 =
  multipart_threshold = 8MB
  multipart_chunksize = 8MB
`)
	write(".aws/credentials", fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c.AccessKey, c.SecretKey))
	write("rclone.conf", fmt.Sprintf(`[shallot]
type = s3
provider = Other
env_auth = false
access_key_id = %[1]s
secret_access_key = %[2]s
endpoint = %[3]s
region = us-east-1
force_path_style = true

[shallotv2]
type = s3
provider = Other
env_auth = false
access_key_id = %[1]s
secret_access_key = %[2]s
endpoint = %[3]s
region = us-east-1
v2_auth = true
force_path_style = true
`, c.AccessKey, c.SecretKey, c.d.Endpoint()))
	for _, v2 := range []bool{false, true} {
		name := ".s3cfg"
		if v2 {
			name = ".s3cfg-v2"
		}
		write(name, fmt.Sprintf(`[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
use_https = False
signature_v2 = %s
bucket_location = us-east-1
check_ssl_certificate = False
guess_mime_type = False
`, c.AccessKey, c.SecretKey, c.d.Addr, c.d.Addr, map[bool]string{false: "False", true: "True"}[v2]))
	}
}

// S3cfg is the path of the s3cmd config (signature v2 or v4).
func (c *client) S3cfg(v2 bool) string {
	if v2 {
		return filepath.Join(c.Home, ".s3cfg-v2")
	}
	return filepath.Join(c.Home, ".s3cfg")
}

// Env is the client environment.
func (c *client) Env() []string { return c.env }

// result is what a finished client command produced.
type result struct {
	Cmd    string
	Stdout string
	Stderr string
	Err    error
}

func (r result) String() string {
	return fmt.Sprintf("$ %s\nerror: %v\nstdout:\n%s\nstderr:\n%s", r.Cmd, r.Err, clip(r.Stdout), clip(r.Stderr))
}

func clip(s string) string {
	const max = 4000
	if len(s) > max {
		return s[:max/2] + "\n[...]\n" + s[len(s)-max/2:]
	}
	return s
}

// Exec runs a client program with the client environment; it never fails t.
func (c *client) Exec(stdin []byte, prog string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = c.env
	cmd.Dir = c.Home
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after 5 minutes: %w", err)
	}
	return result{Cmd: shellQuote(prog, args), Stdout: out.String(), Stderr: errb.String(), Err: err}
}

// Run runs a client program and fails t if it fails; it returns stdout.
func (c *client) Run(t testing.TB, prog string, args ...string) string {
	t.Helper()
	start := time.Now()
	r := c.Exec(nil, prog, args...)
	if r.Err != nil {
		t.Fatalf("command failed after %v:\n%s", time.Since(start).Round(time.Millisecond), r)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Logf("slow: %v for %s", d.Round(time.Millisecond), r.Cmd)
	}
	return r.Stdout
}

// AWS runs one aws cli generation against the daemon.
func (c *client) AWS(t testing.TB, cli awsCLI, args ...string) string {
	t.Helper()
	return c.Run(t, cli.Path, append([]string{"--endpoint-url", c.d.Endpoint()}, args...)...)
}

// AWSExec is AWS without failing t.
func (c *client) AWSExec(cli awsCLI, args ...string) result {
	return c.Exec(nil, cli.Path, append([]string{"--endpoint-url", c.d.Endpoint()}, args...)...)
}

func shellQuote(prog string, args []string) string {
	parts := []string{prog}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$*?;&|<>()#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

var bucketSeq atomic.Int64

// newBucket creates a bucket with a name unique in the suite (over S3, with
// the test's own signer) and returns its name.
func newBucket(t testing.TB, d *daemon, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%s", prefix, bucketSeq.Add(1), randHex(3))
	name = strings.ToLower(strings.NewReplacer("_", "-", "/", "-", ".", "-").Replace(name))
	if len(name) > 63 {
		name = name[len(name)-63:]
		name = strings.TrimLeft(name, "-")
	}
	resp := rootS3(d).Do(t, "PUT", "/"+name, nil, nil)
	if resp.Status != 200 {
		t.Fatalf("create bucket %s: %s", name, resp)
	}
	return name
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randBytes returns n random bytes.
func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// writeFile writes a local (non-mount) file in dir and returns its path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
