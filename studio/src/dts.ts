// A small reader of the runtime's TypeScript declarations (types.d.ts): it
// collects each interface's members so the script editor can complete
// "ctx.", "ctx.records." and so on. It understands the shapes that file
// uses (interfaces, members with JSDoc, declared functions), not all of
// TypeScript.

export interface Member {
  name: string;
  kind: "property" | "method";
  type: string; // the declared type or return type, as written
  detail: string; // the signature, for the completion's detail
  doc: string;
}

export interface Declarations {
  interfaces: Map<string, Member[]>;
  functions: Member[];
}

export function parseDeclarations(src: string): Declarations {
  const interfaces = new Map<string, Member[]>();
  const functions: Member[] = [];
  const re = /interface\s+(\w+)\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    let depth = 1;
    let i = re.lastIndex;
    while (i < src.length && depth > 0) {
      if (src[i] === "{") depth++;
      else if (src[i] === "}") depth--;
      i++;
    }
    interfaces.set(m[1], members(src.slice(re.lastIndex, i - 1)));
  }
  const fre = /(?:\/\*\*([\s\S]*?)\*\/\s*)?declare function\s+(\w+)\s*\(([^)]*)\)\s*:\s*([^;]+);/g;
  while ((m = fre.exec(src))) functions.push({ name: m[2], kind: "method", type: m[4].trim(), detail: `(${m[3]}): ${m[4].trim()}`, doc: cleanDoc(m[1] ?? "") });
  return { interfaces, functions };
}

function cleanDoc(d: string): string {
  return d.split("\n").map((l) => l.replace(/^\s*\*\s?/, "").trim()).filter(Boolean).join(" ");
}

function members(body: string): Member[] {
  const out: Member[] = [];
  // Top-level members only: skip nested braces.
  let depth = 0;
  let cur = "";
  let doc = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (depth === 0 && body.startsWith("/**", i)) {
      const end = body.indexOf("*/", i);
      doc = cleanDoc(body.slice(i + 3, end));
      i = end + 1;
      continue;
    }
    if (depth === 0 && body.startsWith("//", i)) {
      i = body.indexOf("\n", i);
      if (i < 0) break;
      continue;
    }
    if (c === "{" || c === "(" || c === "<") depth++;
    if (c === "}" || c === ")" || c === ">") depth--;
    if (depth === 0 && (c === ";" || c === "\n") && cur.trim()) {
      const mm = parse(cur.trim(), doc);
      if (mm) {
        out.push(mm);
        doc = "";
      }
      cur = "";
      continue;
    }
    cur += c;
  }
  return out;
}

function parse(decl: string, doc: string): Member | null {
  const d = decl.replace(/^readonly\s+/, "");
  let m = /^(\w+)\??\s*\(([\s\S]*)\)\s*:\s*([\s\S]+)$/.exec(d);
  if (m) return { name: m[1], kind: "method", type: m[3].trim(), detail: `(${m[2].replace(/\s+/g, " ")}): ${m[3].trim()}`, doc };
  m = /^(\w+)\??\s*:\s*([\s\S]+)$/.exec(d);
  if (m) return { name: m[1], kind: "property", type: m[2].trim(), detail: m[2].trim(), doc };
  return null;
}

/** typeName reduces "Readonly<Record> | null" or "crm.Records" to an interface name. */
export function typeName(t: string): string {
  const s = t.replace(/\|\s*null/g, "").replace(/readonly\s+/g, "").replace(/^Readonly<(.*)>$/, "$1").replace(/\[\]$/, "").trim();
  return s.replace(/^crm\./, "");
}

/** membersAt resolves a chain such as ["ctx", "records"] to the members it offers. */
export function membersAt(d: Declarations, chain: string[]): Member[] | null {
  if (chain.length === 0) return null;
  let type = chain[0] === "ctx" ? "Context" : "";
  if (!type) return null;
  for (const part of chain.slice(1)) {
    const m = d.interfaces.get(type)?.find((x) => x.name === part);
    if (!m) return null;
    type = typeName(m.type);
  }
  return d.interfaces.get(type) ?? null;
}
