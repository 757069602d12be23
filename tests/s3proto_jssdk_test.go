package tests

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The current AWS SDK for JavaScript v3 (@aws-sdk/client-s3 from npm,
// installed by tests/sdk/install.sh into tests/sdk/node_modules) with its
// default settings, through tests/sdk/s3_suite.mjs: over HTTP, over HTTPS
// and virtual-hosted.
func TestS3ProtoJSSDK(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is needed for the JavaScript SDK tests (Debian: apt-get install nodejs npm)")
	}
	sdkDir, err := filepath.Abs("sdk")
	if err != nil {
		t.Fatal(err)
	}
	install := exec.Command("bash", filepath.Join(sdkDir, "install.sh"))
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("install the JavaScript SDK: %v\n%s", err, out)
	}
	d := s3protoSetup(t)
	modes := []struct{ name, endpoint, pathStyle string }{
		{"http", d.endpoint, "true"},
		{"https", d.tlsEndpoint, "true"},
		{"virtual-hosted", d.vhostEndpoint, "false"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "node", filepath.Join(sdkDir, "s3_suite.mjs"))
			cmd.Dir = sdkDir
			cmd.Env = append(os.Environ(),
				"S3_ENDPOINT="+m.endpoint, "S3_PATH_STYLE="+m.pathStyle, "S3_MODE="+m.name,
				"S3_ACCESS="+d.access, "S3_SECRET="+d.secret, "S3_REGION="+d.region,
				// The proxy's certificate, and nothing from this machine's
				// AWS configuration.
				"NODE_EXTRA_CA_CERTS="+d.caFile, "AWS_CA_BUNDLE=", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
			checks := 0
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "ok "):
					checks++
				case strings.HasPrefix(line, "FAIL "):
					t.Error(line)
				}
			}
			if err != nil || checks == 0 {
				t.Fatalf("node: %v (%d checks passed)\n%s", err, checks, out.String())
			}
			t.Logf("%d checks passed", checks)
		})
	}
	if m := d.payloadModes(); m["STREAMING-UNSIGNED-PAYLOAD-TRAILER"] == 0 {
		t.Errorf("no aws-chunked trailer uploads through HTTPS: %v", m)
	} else {
		t.Logf("payload modes over HTTPS: %v", m)
	}
}
