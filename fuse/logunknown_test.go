package fuse

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

func TestUnknownErrorLoggedOnce(t *testing.T) {
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	s := &Server{log: logrus.NewEntry(logger), logged: map[string]bool{}}

	odd := errors.New("disk on fire")
	for i := 0; i < 3; i++ {
		if got := s.errno("read", fmt.Errorf("read ino %d: %w", i, odd), permDenied); got != syscall.EIO {
			t.Fatalf("errno %v, want EIO", got)
		}
	}
	s.errno("write", odd, permDenied)

	var errorsLogged, debugLogged int
	for _, e := range hook.AllEntries() {
		switch e.Level {
		case logrus.ErrorLevel:
			errorsLogged++
		case logrus.DebugLevel:
			debugLogged++
		}
	}
	// One error per operation and error type; repeats only at debug.
	if errorsLogged != 2 || debugLogged != 2 {
		t.Fatalf("logged %d errors and %d debug lines, want 2 and 2", errorsLogged, debugLogged)
	}
}
