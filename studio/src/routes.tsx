// The route table of the studio.
import type { VNode } from "preact";
import { Objects } from "./pages/Objects";

export const routes: Array<{ path: string; render: (p: Record<string, string>) => VNode }> = [
  { path: "/objects", render: () => <Objects /> },
];
