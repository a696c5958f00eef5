package main

import (
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/runtime/jsvm"
)

func TestScriptLimits_fromTheEnvironment(t *testing.T) {
	t.Run("limits, isolation and isolated tenants combine", func(t *testing.T) {
		t.Setenv("CRM_SCRIPT_LIMITS", `{"*":{"wallTimeMs":300},"t1":{"queries":500}}`)
		t.Setenv("CRM_SCRIPT_ISOLATION", "")
		t.Setenv("CRM_SCRIPT_ISOLATED_TENANTS", "t1, t2")
		var cfg jsvm.Config
		if err := scriptLimits(&cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.Limits.WallTime != 300*time.Millisecond {
			t.Errorf("engine wall time %v", cfg.Limits.WallTime)
		}
		if l := cfg.Tenants["t1"]; l.Queries != 500 || l.Isolation != jsvm.IsolationProcess {
			t.Errorf("t1 %+v", l)
		}
		if l := cfg.Tenants["t2"]; l.Isolation != jsvm.IsolationProcess {
			t.Errorf("t2 %+v", l)
		}
	})
	t.Run("a wrong member stops the start naming the variable and the member", func(t *testing.T) {
		t.Setenv("CRM_SCRIPT_LIMITS", `{"*":{"wallTime":300}}`)
		err := scriptLimits(&jsvm.Config{})
		if err == nil || !strings.Contains(err.Error(), "CRM_SCRIPT_LIMITS") || !strings.Contains(err.Error(), "wallTime") {
			t.Fatalf("err = %v", err)
		}
	})
}
