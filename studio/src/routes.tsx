// The route table of the studio.
import type { VNode } from "preact";
import { Objects } from "./pages/Objects";
import { ObjectEdit } from "./pages/ObjectEdit";
import { RecordList, RecordsHome } from "./pages/Records";
import { RecordPage } from "./pages/RecordPage";
import { Kanban } from "./pages/Kanban";
import { Bin } from "./pages/Bin";
import { ApiKeys, Roles, Users } from "./pages/Security";
import { Scripts, ScriptEdit } from "./pages/Automation";
import { WorkflowEdit, Workflows } from "./pages/Workflows";
import { ListViewEdit } from "./pages/ListViews";
import { ImportPage } from "./pages/Import";
import { Reports } from "./pages/Reports";

export const routes: Array<{ path: string; render: (p: Record<string, string>) => VNode }> = [
  { path: "/objects", render: () => <Objects /> },
  { path: "/objects/:name", render: (p) => <ObjectEdit name={p.name} /> },
  { path: "/records", render: () => <RecordsHome /> },
  { path: "/o/:object", render: (p) => <RecordList object={p.object} /> },
  { path: "/o/:object/board", render: (p) => <Kanban object={p.object} /> },
  { path: "/o/:object/import", render: (p) => <ImportPage object={p.object} /> },
  { path: "/o/:object/views/:name", render: (p) => <ListViewEdit object={p.object} name={p.name} /> },
  { path: "/o/:object/:id", render: (p) => <RecordPage object={p.object} id={p.id} /> },
  { path: "/bin", render: () => <Bin /> },
  { path: "/security/users", render: () => <Users /> },
  { path: "/security/roles", render: () => <Roles /> },
  { path: "/security/apikeys", render: () => <ApiKeys /> },
  { path: "/automation/scripts", render: () => <Scripts /> },
  { path: "/automation/scripts/:name", render: (p) => <ScriptEdit name={p.name} /> },
  { path: "/automation/workflows", render: () => <Workflows /> },
  { path: "/automation/workflows/:name", render: (p) => <WorkflowEdit name={p.name} /> },
  { path: "/reports", render: () => <Reports /> },
];
