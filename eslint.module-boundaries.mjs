/**
 * The module boundary rule (`rekisteri/module-boundaries`): code outside `src/modules/<name>/`
 * imports a module only through its `index.ts`; a module's own files import each other freely.
 *
 * The rule resolves each specifier against the importing file instead of matching its text, so
 * that no spelling of a path slips past (`./../x/y.ts`, `../modules//x/y.ts`, `.././x/y.ts`), and
 * it reads every form that loads a file: `import`, `export … from`, `export * from`, `import()`,
 * `import('…').T` types and `require()`. A dynamic import whose path is computed cannot be
 * checked, so it is refused too.
 */
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const MODULES = path.join(import.meta.dirname, 'src', 'modules');

export const boundaryMessage =
  'import another module only through its index.ts (src/modules/<name>/index.ts): its other files are internal';

/** The module a file lies in (`subjects`), or null outside src/modules/<name>/. */
function moduleOf(file) {
  const rel = path.relative(MODULES, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    return null;
  }
  const [name, ...rest] = rel.split(path.sep);
  return rest.length > 0 ? name : null;
}

/** The file a specifier names, or null for a package. */
function resolve(from, specifier) {
  if (specifier.startsWith('file:')) {
    return fileURLToPath(specifier);
  }
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    return path.resolve(path.dirname(from), specifier);
  }
  return null;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'import another module only through its index.ts' },
    schema: [],
    messages: {
      internal: boundaryMessage,
      computed:
        'a dynamic import with a computed path cannot be checked against the module boundaries; name the file',
    },
  },
  create(context) {
    const from = path.resolve(context.cwd ?? process.cwd(), context.filename);
    const own = moduleOf(from);
    const check = (node) => {
      if (!node) {
        return;
      }
      let specifier;
      if (node.type === 'Literal' && typeof node.value === 'string') {
        specifier = node.value;
      } else if (node.type === 'TemplateLiteral' && node.expressions.length === 0) {
        specifier = node.quasis[0]?.value.cooked ?? '';
      } else {
        context.report({ node, messageId: 'computed' });
        return;
      }
      const target = resolve(from, specifier);
      if (target === null) {
        return;
      }
      const into = moduleOf(target);
      if (into === null || into === own) {
        return;
      }
      if (target !== path.join(MODULES, into, 'index.ts')) {
        context.report({ node, messageId: 'internal' });
      }
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => n.source && check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
      TSImportType: (n) =>
        check(n.argument?.type === 'TSLiteralType' ? n.argument.literal : n.source),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]) {
          check(n.arguments[0]);
        }
      },
    };
  },
};

export default { rules: { 'module-boundaries': rule } };
