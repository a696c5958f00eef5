package scripts

import (
	"context"

	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/errs"
)

// WorkflowRunner lets workflows run scripts: the "run a script" action calls
// the script's onWorkflow(ctx) with the triggering record, as the workflow's
// run-as user (the principal in ctx), within the same limits as hooks.
func (s *Service) WorkflowRunner() workflows.ScriptRunner { return workflowRunner{s} }

type workflowRunner struct{ s *Service }

func (w workflowRunner) RunScript(ctx context.Context, name string, in workflows.ScriptInput) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	sc, err := w.s.Get(ctx, name)
	if err != nil {
		return err
	}
	if !sc.Active {
		return errs.New(errs.Invalid, "script.inactive", "script %q is not active", name)
	}
	if !contains(sc.Events, WorkflowEvent) {
		return errs.New(errs.Invalid, "script.no_event", "script %q does not handle %s", name, WorkflowEvent)
	}
	res, err := w.s.run(ctx, p.TenantID, sc, WorkflowEvent, p, in.Record, in.Old)
	if err != nil {
		return err
	}
	return res.Err()
}
