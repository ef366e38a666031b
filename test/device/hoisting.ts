/**
 * Finds reliance on function hoisting (Espruino has none): in every function body and the
 * program, a statement that runs may only reach (directly, or through the local functions it
 * uses) local function declarations that come before it.
 */
import type { Node } from 'acorn';

type AnyNode = Node & Record<string, unknown>;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

function children(n: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const [k, v] of Object.entries(n)) {
    if (k === 'type' || k === 'start' || k === 'end') continue;
    if (Array.isArray(v)) for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') out.push(c as AnyNode);
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as AnyNode).type === 'string') out.push(v as AnyNode);
  }
  return out;
}

/** Identifiers read in n; with deep = false, nested functions are not entered. */
function references(n: AnyNode, deep: boolean, out: Set<string> = new Set()): Set<string> {
  if (n.type === 'Identifier') out.add(n.name as string);
  for (const c of children(n)) {
    if (!deep && FUNCTION_TYPES.has(c.type)) continue;
    // obj.prop: prop is not a reference; {key: v}: key is not one either.
    if (n.type === 'MemberExpression' && c === n.property && !n.computed) continue;
    if (n.type === 'Property' && c === n.key && !n.computed) continue;
    if (FUNCTION_TYPES.has(n.type) && c === n.id) continue;
    references(c, deep, out);
  }
  return out;
}

export function hoistingProblems(program: Node): string[] {
  const problems: string[] = [];
  const checkBody = (stmts: AnyNode[], where: string) => {
    const declaredAt = new Map<string, number>();
    stmts.forEach((s, i) => {
      if (s.type === 'FunctionDeclaration') declaredAt.set((s.id as AnyNode).name as string, i);
    });
    const deps = new Map<string, Set<string>>();
    for (const s of stmts) if (s.type === 'FunctionDeclaration') deps.set((s.id as AnyNode).name as string, references(s.body as AnyNode, true));
    stmts.forEach((s, i) => {
      if (s.type !== 'FunctionDeclaration') {
        const seen = new Set<string>();
        const todo = [...references(s, false)];
        while (todo.length > 0) {
          const name = todo.pop() as string;
          if (seen.has(name) || !declaredAt.has(name)) continue;
          seen.add(name);
          if ((declaredAt.get(name) as number) > i) problems.push(`${where}: statement ${i} (offset ${s.start}) reaches function ${name}, declared later (statement ${declaredAt.get(name)})`);
          todo.push(...(deps.get(name) ?? []));
        }
      }
    });
    for (const s of stmts) visitFunctions(s);
  };
  const visitFunctions = (n: AnyNode) => {
    if (FUNCTION_TYPES.has(n.type)) {
      const body = n.body as AnyNode;
      if (body.type === 'BlockStatement') checkBody(body.body as AnyNode[], `function ${(n.id as AnyNode | null)?.name ?? '(anonymous)'}`);
      return;
    }
    for (const c of children(n)) visitFunctions(c);
  };
  checkBody((program as AnyNode).body as AnyNode[], 'program');
  return problems;
}
