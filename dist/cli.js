#!/usr/bin/env node
import { createRequire as __mergeopsCreateRequire } from 'node:module';
const require = __mergeopsCreateRequire(import.meta.url);
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __require = /* @__PURE__ */ ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, {
  get: (a, b) => (typeof require !== "undefined" ? require : a)[b]
}) : x)(function(x) {
  if (typeof require !== "undefined") return require.apply(this, arguments);
  throw Error('Dynamic require of "' + x + '" is not supported');
});
var __commonJS = (cb, mod) => function __require2() {
  return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// node_modules/yaml/dist/nodes/identity.js
var require_identity = __commonJS({
  "node_modules/yaml/dist/nodes/identity.js"(exports) {
    "use strict";
    var ALIAS = Symbol.for("yaml.alias");
    var DOC = Symbol.for("yaml.document");
    var MAP = Symbol.for("yaml.map");
    var PAIR = Symbol.for("yaml.pair");
    var SCALAR = Symbol.for("yaml.scalar");
    var SEQ = Symbol.for("yaml.seq");
    var NODE_TYPE = Symbol.for("yaml.node.type");
    var isAlias2 = (node) => !!node && typeof node === "object" && node[NODE_TYPE] === ALIAS;
    var isDocument = (node) => !!node && typeof node === "object" && node[NODE_TYPE] === DOC;
    var isMap4 = (node) => !!node && typeof node === "object" && node[NODE_TYPE] === MAP;
    var isPair = (node) => !!node && typeof node === "object" && node[NODE_TYPE] === PAIR;
    var isScalar4 = (node) => !!node && typeof node === "object" && node[NODE_TYPE] === SCALAR;
    var isSeq3 = (node) => !!node && typeof node === "object" && node[NODE_TYPE] === SEQ;
    function isCollection(node) {
      if (node && typeof node === "object")
        switch (node[NODE_TYPE]) {
          case MAP:
          case SEQ:
            return true;
        }
      return false;
    }
    function isNode(node) {
      if (node && typeof node === "object")
        switch (node[NODE_TYPE]) {
          case ALIAS:
          case MAP:
          case SCALAR:
          case SEQ:
            return true;
        }
      return false;
    }
    var hasAnchor = (node) => (isScalar4(node) || isCollection(node)) && !!node.anchor;
    exports.ALIAS = ALIAS;
    exports.DOC = DOC;
    exports.MAP = MAP;
    exports.NODE_TYPE = NODE_TYPE;
    exports.PAIR = PAIR;
    exports.SCALAR = SCALAR;
    exports.SEQ = SEQ;
    exports.hasAnchor = hasAnchor;
    exports.isAlias = isAlias2;
    exports.isCollection = isCollection;
    exports.isDocument = isDocument;
    exports.isMap = isMap4;
    exports.isNode = isNode;
    exports.isPair = isPair;
    exports.isScalar = isScalar4;
    exports.isSeq = isSeq3;
  }
});

// node_modules/yaml/dist/visit.js
var require_visit = __commonJS({
  "node_modules/yaml/dist/visit.js"(exports) {
    "use strict";
    var identity = require_identity();
    var BREAK = Symbol("break visit");
    var SKIP = Symbol("skip children");
    var REMOVE = Symbol("remove node");
    function visit(node, visitor) {
      const visitor_ = initVisitor(visitor);
      if (identity.isDocument(node)) {
        const cd = visit_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
          node.contents = null;
      } else
        visit_(null, node, visitor_, Object.freeze([]));
    }
    visit.BREAK = BREAK;
    visit.SKIP = SKIP;
    visit.REMOVE = REMOVE;
    function visit_(key, node, visitor, path2) {
      const ctrl = callVisitor(key, node, visitor, path2);
      if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path2, ctrl);
        return visit_(key, ctrl, visitor, path2);
      }
      if (typeof ctrl !== "symbol") {
        if (identity.isCollection(node)) {
          path2 = Object.freeze(path2.concat(node));
          for (let i = 0; i < node.items.length; ++i) {
            const ci = visit_(i, node.items[i], visitor, path2);
            if (typeof ci === "number")
              i = ci - 1;
            else if (ci === BREAK)
              return BREAK;
            else if (ci === REMOVE) {
              node.items.splice(i, 1);
              i -= 1;
            }
          }
        } else if (identity.isPair(node)) {
          path2 = Object.freeze(path2.concat(node));
          const ck = visit_("key", node.key, visitor, path2);
          if (ck === BREAK)
            return BREAK;
          else if (ck === REMOVE)
            node.key = null;
          const cv = visit_("value", node.value, visitor, path2);
          if (cv === BREAK)
            return BREAK;
          else if (cv === REMOVE)
            node.value = null;
        }
      }
      return ctrl;
    }
    async function visitAsync(node, visitor) {
      const visitor_ = initVisitor(visitor);
      if (identity.isDocument(node)) {
        const cd = await visitAsync_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
          node.contents = null;
      } else
        await visitAsync_(null, node, visitor_, Object.freeze([]));
    }
    visitAsync.BREAK = BREAK;
    visitAsync.SKIP = SKIP;
    visitAsync.REMOVE = REMOVE;
    async function visitAsync_(key, node, visitor, path2) {
      const ctrl = await callVisitor(key, node, visitor, path2);
      if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path2, ctrl);
        return visitAsync_(key, ctrl, visitor, path2);
      }
      if (typeof ctrl !== "symbol") {
        if (identity.isCollection(node)) {
          path2 = Object.freeze(path2.concat(node));
          for (let i = 0; i < node.items.length; ++i) {
            const ci = await visitAsync_(i, node.items[i], visitor, path2);
            if (typeof ci === "number")
              i = ci - 1;
            else if (ci === BREAK)
              return BREAK;
            else if (ci === REMOVE) {
              node.items.splice(i, 1);
              i -= 1;
            }
          }
        } else if (identity.isPair(node)) {
          path2 = Object.freeze(path2.concat(node));
          const ck = await visitAsync_("key", node.key, visitor, path2);
          if (ck === BREAK)
            return BREAK;
          else if (ck === REMOVE)
            node.key = null;
          const cv = await visitAsync_("value", node.value, visitor, path2);
          if (cv === BREAK)
            return BREAK;
          else if (cv === REMOVE)
            node.value = null;
        }
      }
      return ctrl;
    }
    function initVisitor(visitor) {
      if (typeof visitor === "object" && (visitor.Collection || visitor.Node || visitor.Value)) {
        return Object.assign({
          Alias: visitor.Node,
          Map: visitor.Node,
          Scalar: visitor.Node,
          Seq: visitor.Node
        }, visitor.Value && {
          Map: visitor.Value,
          Scalar: visitor.Value,
          Seq: visitor.Value
        }, visitor.Collection && {
          Map: visitor.Collection,
          Seq: visitor.Collection
        }, visitor);
      }
      return visitor;
    }
    function callVisitor(key, node, visitor, path2) {
      if (typeof visitor === "function")
        return visitor(key, node, path2);
      if (identity.isMap(node))
        return visitor.Map?.(key, node, path2);
      if (identity.isSeq(node))
        return visitor.Seq?.(key, node, path2);
      if (identity.isPair(node))
        return visitor.Pair?.(key, node, path2);
      if (identity.isScalar(node))
        return visitor.Scalar?.(key, node, path2);
      if (identity.isAlias(node))
        return visitor.Alias?.(key, node, path2);
      return void 0;
    }
    function replaceNode(key, path2, node) {
      const parent = path2[path2.length - 1];
      if (identity.isCollection(parent)) {
        parent.items[key] = node;
      } else if (identity.isPair(parent)) {
        if (key === "key")
          parent.key = node;
        else
          parent.value = node;
      } else if (identity.isDocument(parent)) {
        parent.contents = node;
      } else {
        const pt = identity.isAlias(parent) ? "alias" : "scalar";
        throw new Error(`Cannot replace node with ${pt} parent`);
      }
    }
    exports.visit = visit;
    exports.visitAsync = visitAsync;
  }
});

// node_modules/yaml/dist/doc/directives.js
var require_directives = __commonJS({
  "node_modules/yaml/dist/doc/directives.js"(exports) {
    "use strict";
    var identity = require_identity();
    var visit = require_visit();
    var escapeChars = {
      "!": "%21",
      ",": "%2C",
      "[": "%5B",
      "]": "%5D",
      "{": "%7B",
      "}": "%7D"
    };
    var escapeTagName = (tn) => tn.replace(/[!,[\]{}]/g, (ch) => escapeChars[ch]);
    var Directives = class _Directives {
      constructor(yaml, tags) {
        this.docStart = null;
        this.docEnd = false;
        this.yaml = Object.assign({}, _Directives.defaultYaml, yaml);
        this.tags = Object.assign({}, _Directives.defaultTags, tags);
      }
      clone() {
        const copy = new _Directives(this.yaml, this.tags);
        copy.docStart = this.docStart;
        return copy;
      }
      /**
       * During parsing, get a Directives instance for the current document and
       * update the stream state according to the current version's spec.
       */
      atDocument() {
        const res = new _Directives(this.yaml, this.tags);
        switch (this.yaml.version) {
          case "1.1":
            this.atNextDocument = true;
            break;
          case "1.2":
            this.atNextDocument = false;
            this.yaml = {
              explicit: _Directives.defaultYaml.explicit,
              version: "1.2"
            };
            this.tags = Object.assign({}, _Directives.defaultTags);
            break;
        }
        return res;
      }
      /**
       * @param onError - May be called even if the action was successful
       * @returns `true` on success
       */
      add(line, onError) {
        if (this.atNextDocument) {
          this.yaml = { explicit: _Directives.defaultYaml.explicit, version: "1.1" };
          this.tags = Object.assign({}, _Directives.defaultTags);
          this.atNextDocument = false;
        }
        const parts = line.trim().split(/[ \t]+/);
        const name = parts.shift();
        switch (name) {
          case "%TAG": {
            if (parts.length !== 2) {
              onError(0, "%TAG directive should contain exactly two parts");
              if (parts.length < 2)
                return false;
            }
            const [handle, prefix] = parts;
            this.tags[handle] = prefix;
            return true;
          }
          case "%YAML": {
            this.yaml.explicit = true;
            if (parts.length !== 1) {
              onError(0, "%YAML directive should contain exactly one part");
              return false;
            }
            const [version] = parts;
            if (version === "1.1" || version === "1.2") {
              this.yaml.version = version;
              return true;
            } else {
              const isValid = /^\d+\.\d+$/.test(version);
              onError(6, `Unsupported YAML version ${version}`, isValid);
              return false;
            }
          }
          default:
            onError(0, `Unknown directive ${name}`, true);
            return false;
        }
      }
      /**
       * Resolves a tag, matching handles to those defined in %TAG directives.
       *
       * @returns Resolved tag, which may also be the non-specific tag `'!'` or a
       *   `'!local'` tag, or `null` if unresolvable.
       */
      tagName(source, onError) {
        if (source === "!")
          return "!";
        if (source[0] !== "!") {
          onError(`Not a valid tag: ${source}`);
          return null;
        }
        if (source[1] === "<") {
          const verbatim = source.slice(2, -1);
          if (verbatim === "!" || verbatim === "!!") {
            onError(`Verbatim tags aren't resolved, so ${source} is invalid.`);
            return null;
          }
          if (source[source.length - 1] !== ">")
            onError("Verbatim tags must end with a >");
          return verbatim;
        }
        const [, handle, suffix] = source.match(/^(.*!)([^!]*)$/s);
        if (!suffix)
          onError(`The ${source} tag has no suffix`);
        const prefix = this.tags[handle];
        if (prefix) {
          try {
            return prefix + decodeURIComponent(suffix);
          } catch (error) {
            onError(String(error));
            return null;
          }
        }
        if (handle === "!")
          return source;
        onError(`Could not resolve tag: ${source}`);
        return null;
      }
      /**
       * Given a fully resolved tag, returns its printable string form,
       * taking into account current tag prefixes and defaults.
       */
      tagString(tag) {
        for (const [handle, prefix] of Object.entries(this.tags)) {
          if (tag.startsWith(prefix))
            return handle + escapeTagName(tag.substring(prefix.length));
        }
        return tag[0] === "!" ? tag : `!<${tag}>`;
      }
      toString(doc) {
        const lines = this.yaml.explicit ? [`%YAML ${this.yaml.version || "1.2"}`] : [];
        const tagEntries = Object.entries(this.tags);
        let tagNames;
        if (doc && tagEntries.length > 0 && identity.isNode(doc.contents)) {
          const tags = {};
          visit.visit(doc.contents, (_key, node) => {
            if (identity.isNode(node) && node.tag)
              tags[node.tag] = true;
          });
          tagNames = Object.keys(tags);
        } else
          tagNames = [];
        for (const [handle, prefix] of tagEntries) {
          if (handle === "!!" && prefix === "tag:yaml.org,2002:")
            continue;
          if (!doc || tagNames.some((tn) => tn.startsWith(prefix)))
            lines.push(`%TAG ${handle} ${prefix}`);
        }
        return lines.join("\n");
      }
    };
    Directives.defaultYaml = { explicit: false, version: "1.2" };
    Directives.defaultTags = { "!!": "tag:yaml.org,2002:" };
    exports.Directives = Directives;
  }
});

// node_modules/yaml/dist/doc/anchors.js
var require_anchors = __commonJS({
  "node_modules/yaml/dist/doc/anchors.js"(exports) {
    "use strict";
    var identity = require_identity();
    var visit = require_visit();
    function anchorIsValid(anchor) {
      if (/[\x00-\x19\s,[\]{}]/.test(anchor)) {
        const sa = JSON.stringify(anchor);
        const msg = `Anchor must not contain whitespace or control characters: ${sa}`;
        throw new Error(msg);
      }
      return true;
    }
    function anchorNames(root) {
      const anchors = /* @__PURE__ */ new Set();
      visit.visit(root, {
        Value(_key, node) {
          if (node.anchor)
            anchors.add(node.anchor);
        }
      });
      return anchors;
    }
    function findNewAnchor(prefix, exclude) {
      for (let i = 1; true; ++i) {
        const name = `${prefix}${i}`;
        if (!exclude.has(name))
          return name;
      }
    }
    function createNodeAnchors(doc, prefix) {
      const aliasObjects = [];
      const sourceObjects = /* @__PURE__ */ new Map();
      let prevAnchors = null;
      return {
        onAnchor: (source) => {
          aliasObjects.push(source);
          prevAnchors ?? (prevAnchors = anchorNames(doc));
          const anchor = findNewAnchor(prefix, prevAnchors);
          prevAnchors.add(anchor);
          return anchor;
        },
        /**
         * With circular references, the source node is only resolved after all
         * of its child nodes are. This is why anchors are set only after all of
         * the nodes have been created.
         */
        setAnchors: () => {
          for (const source of aliasObjects) {
            const ref = sourceObjects.get(source);
            if (typeof ref === "object" && ref.anchor && (identity.isScalar(ref.node) || identity.isCollection(ref.node))) {
              ref.node.anchor = ref.anchor;
            } else {
              const error = new Error("Failed to resolve repeated object (this should not happen)");
              error.source = source;
              throw error;
            }
          }
        },
        sourceObjects
      };
    }
    exports.anchorIsValid = anchorIsValid;
    exports.anchorNames = anchorNames;
    exports.createNodeAnchors = createNodeAnchors;
    exports.findNewAnchor = findNewAnchor;
  }
});

// node_modules/yaml/dist/doc/applyReviver.js
var require_applyReviver = __commonJS({
  "node_modules/yaml/dist/doc/applyReviver.js"(exports) {
    "use strict";
    function applyReviver(reviver, obj, key, val) {
      if (val && typeof val === "object") {
        if (Array.isArray(val)) {
          for (let i = 0, len = val.length; i < len; ++i) {
            const v0 = val[i];
            const v1 = applyReviver(reviver, val, String(i), v0);
            if (v1 === void 0)
              delete val[i];
            else if (v1 !== v0)
              val[i] = v1;
          }
        } else if (val instanceof Map) {
          for (const k of Array.from(val.keys())) {
            const v0 = val.get(k);
            const v1 = applyReviver(reviver, val, k, v0);
            if (v1 === void 0)
              val.delete(k);
            else if (v1 !== v0)
              val.set(k, v1);
          }
        } else if (val instanceof Set) {
          for (const v0 of Array.from(val)) {
            const v1 = applyReviver(reviver, val, v0, v0);
            if (v1 === void 0)
              val.delete(v0);
            else if (v1 !== v0) {
              val.delete(v0);
              val.add(v1);
            }
          }
        } else {
          for (const [k, v0] of Object.entries(val)) {
            const v1 = applyReviver(reviver, val, k, v0);
            if (v1 === void 0)
              delete val[k];
            else if (v1 !== v0)
              val[k] = v1;
          }
        }
      }
      return reviver.call(obj, key, val);
    }
    exports.applyReviver = applyReviver;
  }
});

// node_modules/yaml/dist/nodes/toJS.js
var require_toJS = __commonJS({
  "node_modules/yaml/dist/nodes/toJS.js"(exports) {
    "use strict";
    var identity = require_identity();
    function toJS(value, arg, ctx) {
      if (Array.isArray(value))
        return value.map((v, i) => toJS(v, String(i), ctx));
      if (value && typeof value.toJSON === "function") {
        if (!ctx || !identity.hasAnchor(value))
          return value.toJSON(arg, ctx);
        const data = { aliasCount: 0, count: 1, res: void 0 };
        ctx.anchors.set(value, data);
        ctx.onCreate = (res2) => {
          data.res = res2;
          delete ctx.onCreate;
        };
        const res = value.toJSON(arg, ctx);
        if (ctx.onCreate)
          ctx.onCreate(res);
        return res;
      }
      if (typeof value === "bigint" && !ctx?.keep)
        return Number(value);
      return value;
    }
    exports.toJS = toJS;
  }
});

// node_modules/yaml/dist/nodes/Node.js
var require_Node = __commonJS({
  "node_modules/yaml/dist/nodes/Node.js"(exports) {
    "use strict";
    var applyReviver = require_applyReviver();
    var identity = require_identity();
    var toJS = require_toJS();
    var NodeBase = class {
      constructor(type) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: type });
      }
      /** Create a copy of this node.  */
      clone() {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (this.range)
          copy.range = this.range.slice();
        return copy;
      }
      /** A plain JavaScript representation of this node. */
      toJS(doc, { mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        if (!identity.isDocument(doc))
          throw new TypeError("A document argument is required");
        const ctx = {
          anchors: /* @__PURE__ */ new Map(),
          doc,
          keep: true,
          mapAsMap: mapAsMap === true,
          mapKeyWarned: false,
          maxAliasCount: typeof maxAliasCount === "number" ? maxAliasCount : 100
        };
        const res = toJS.toJS(this, "", ctx);
        if (typeof onAnchor === "function")
          for (const { count, res: res2 } of ctx.anchors.values())
            onAnchor(res2, count);
        return typeof reviver === "function" ? applyReviver.applyReviver(reviver, { "": res }, "", res) : res;
      }
    };
    exports.NodeBase = NodeBase;
  }
});

// node_modules/yaml/dist/nodes/Alias.js
var require_Alias = __commonJS({
  "node_modules/yaml/dist/nodes/Alias.js"(exports) {
    "use strict";
    var anchors = require_anchors();
    var visit = require_visit();
    var identity = require_identity();
    var Node = require_Node();
    var toJS = require_toJS();
    var Alias = class extends Node.NodeBase {
      constructor(source) {
        super(identity.ALIAS);
        this.source = source;
        Object.defineProperty(this, "tag", {
          set() {
            throw new Error("Alias nodes cannot have tags");
          }
        });
      }
      /**
       * Resolve the value of this alias within `doc`, finding the last
       * instance of the `source` anchor before this node.
       */
      resolve(doc, ctx) {
        if (ctx?.maxAliasCount === 0)
          throw new ReferenceError("Alias resolution is disabled");
        let nodes;
        if (ctx?.aliasResolveCache) {
          nodes = ctx.aliasResolveCache;
        } else {
          nodes = [];
          visit.visit(doc, {
            Node: (_key, node) => {
              if (identity.isAlias(node) || identity.hasAnchor(node))
                nodes.push(node);
            }
          });
          if (ctx)
            ctx.aliasResolveCache = nodes;
        }
        let found = void 0;
        for (const node of nodes) {
          if (node === this)
            break;
          if (node.anchor === this.source)
            found = node;
        }
        if (found && ctx) {
          const { anchors: anchors2, doc: doc2, maxAliasCount } = ctx;
          let data = anchors2.get(found);
          if (!data) {
            toJS.toJS(found, null, ctx);
            data = anchors2.get(found);
          }
          if (data?.res === void 0) {
            const msg = "This should not happen: Alias anchor was not resolved?";
            throw new ReferenceError(msg);
          }
          if (maxAliasCount >= 0) {
            data.count += 1;
            if (data.aliasCount === 0)
              data.aliasCount = getAliasCount(doc2, found, anchors2);
            if (data.count * data.aliasCount > maxAliasCount) {
              const msg = "Excessive alias count indicates a resource exhaustion attack";
              throw new ReferenceError(msg);
            }
          }
        }
        return found;
      }
      toJSON(_arg, ctx) {
        if (!ctx)
          return { source: this.source };
        const source = this.resolve(ctx.doc, ctx);
        if (!source) {
          const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
          throw new ReferenceError(msg);
        }
        return ctx.anchors.get(source).res;
      }
      toString(ctx, _onComment, _onChompKeep) {
        const src = `*${this.source}`;
        if (ctx) {
          anchors.anchorIsValid(this.source);
          if (ctx.options.verifyAliasOrder && !ctx.anchors.has(this.source)) {
            const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
            throw new Error(msg);
          }
          if (ctx.implicitKey)
            return `${src} `;
        }
        return src;
      }
    };
    function getAliasCount(doc, node, anchors2) {
      if (identity.isAlias(node)) {
        const source = node.resolve(doc);
        const anchor = anchors2 && source && anchors2.get(source);
        return anchor ? anchor.count * anchor.aliasCount : 0;
      } else if (identity.isCollection(node)) {
        let count = 0;
        for (const item of node.items) {
          const c = getAliasCount(doc, item, anchors2);
          if (c > count)
            count = c;
        }
        return count;
      } else if (identity.isPair(node)) {
        const kc = getAliasCount(doc, node.key, anchors2);
        const vc = getAliasCount(doc, node.value, anchors2);
        return Math.max(kc, vc);
      }
      return 1;
    }
    exports.Alias = Alias;
  }
});

// node_modules/yaml/dist/nodes/Scalar.js
var require_Scalar = __commonJS({
  "node_modules/yaml/dist/nodes/Scalar.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Node = require_Node();
    var toJS = require_toJS();
    var isScalarValue = (value) => !value || typeof value !== "function" && typeof value !== "object";
    var Scalar = class extends Node.NodeBase {
      constructor(value) {
        super(identity.SCALAR);
        this.value = value;
      }
      toJSON(arg, ctx) {
        return ctx?.keep ? this.value : toJS.toJS(this.value, arg, ctx);
      }
      toString() {
        return String(this.value);
      }
    };
    Scalar.BLOCK_FOLDED = "BLOCK_FOLDED";
    Scalar.BLOCK_LITERAL = "BLOCK_LITERAL";
    Scalar.PLAIN = "PLAIN";
    Scalar.QUOTE_DOUBLE = "QUOTE_DOUBLE";
    Scalar.QUOTE_SINGLE = "QUOTE_SINGLE";
    exports.Scalar = Scalar;
    exports.isScalarValue = isScalarValue;
  }
});

// node_modules/yaml/dist/doc/createNode.js
var require_createNode = __commonJS({
  "node_modules/yaml/dist/doc/createNode.js"(exports) {
    "use strict";
    var Alias = require_Alias();
    var identity = require_identity();
    var Scalar = require_Scalar();
    var defaultTagPrefix = "tag:yaml.org,2002:";
    function findTagObject(value, tagName, tags) {
      if (tagName) {
        const match = tags.filter((t) => t.tag === tagName);
        const tagObj = match.find((t) => !t.format) ?? match[0];
        if (!tagObj)
          throw new Error(`Tag ${tagName} not found`);
        return tagObj;
      }
      return tags.find((t) => t.identify?.(value) && !t.format);
    }
    function createNode(value, tagName, ctx) {
      if (identity.isDocument(value))
        value = value.contents;
      if (identity.isNode(value))
        return value;
      if (identity.isPair(value)) {
        const map = ctx.schema[identity.MAP].createNode?.(ctx.schema, null, ctx);
        map.items.push(value);
        return map;
      }
      if (value instanceof String || value instanceof Number || value instanceof Boolean || typeof BigInt !== "undefined" && value instanceof BigInt) {
        value = value.valueOf();
      }
      const { aliasDuplicateObjects, onAnchor, onTagObj, schema, sourceObjects } = ctx;
      let ref = void 0;
      if (aliasDuplicateObjects && value && typeof value === "object") {
        ref = sourceObjects.get(value);
        if (ref) {
          ref.anchor ?? (ref.anchor = onAnchor(value));
          return new Alias.Alias(ref.anchor);
        } else {
          ref = { anchor: null, node: null };
          sourceObjects.set(value, ref);
        }
      }
      if (tagName?.startsWith("!!"))
        tagName = defaultTagPrefix + tagName.slice(2);
      let tagObj = findTagObject(value, tagName, schema.tags);
      if (!tagObj) {
        if (value && typeof value.toJSON === "function") {
          value = value.toJSON();
        }
        if (!value || typeof value !== "object") {
          const node2 = new Scalar.Scalar(value);
          if (ref)
            ref.node = node2;
          return node2;
        }
        tagObj = value instanceof Map ? schema[identity.MAP] : Symbol.iterator in Object(value) ? schema[identity.SEQ] : schema[identity.MAP];
      }
      if (onTagObj) {
        onTagObj(tagObj);
        delete ctx.onTagObj;
      }
      const node = tagObj?.createNode ? tagObj.createNode(ctx.schema, value, ctx) : typeof tagObj?.nodeClass?.from === "function" ? tagObj.nodeClass.from(ctx.schema, value, ctx) : new Scalar.Scalar(value);
      if (tagName)
        node.tag = tagName;
      else if (!tagObj.default)
        node.tag = tagObj.tag;
      if (ref)
        ref.node = node;
      return node;
    }
    exports.createNode = createNode;
  }
});

// node_modules/yaml/dist/nodes/Collection.js
var require_Collection = __commonJS({
  "node_modules/yaml/dist/nodes/Collection.js"(exports) {
    "use strict";
    var createNode = require_createNode();
    var identity = require_identity();
    var Node = require_Node();
    function collectionFromPath(schema, path2, value) {
      let v = value;
      for (let i = path2.length - 1; i >= 0; --i) {
        const k = path2[i];
        if (typeof k === "number" && Number.isInteger(k) && k >= 0) {
          const a = [];
          a[k] = v;
          v = a;
        } else {
          v = /* @__PURE__ */ new Map([[k, v]]);
        }
      }
      return createNode.createNode(v, void 0, {
        aliasDuplicateObjects: false,
        keepUndefined: false,
        onAnchor: () => {
          throw new Error("This should not happen, please report a bug.");
        },
        schema,
        sourceObjects: /* @__PURE__ */ new Map()
      });
    }
    var isEmptyPath = (path2) => path2 == null || typeof path2 === "object" && !!path2[Symbol.iterator]().next().done;
    var Collection = class extends Node.NodeBase {
      constructor(type, schema) {
        super(type);
        Object.defineProperty(this, "schema", {
          value: schema,
          configurable: true,
          enumerable: false,
          writable: true
        });
      }
      /**
       * Create a copy of this collection.
       *
       * @param schema - If defined, overwrites the original's schema
       */
      clone(schema) {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (schema)
          copy.schema = schema;
        copy.items = copy.items.map((it) => identity.isNode(it) || identity.isPair(it) ? it.clone(schema) : it);
        if (this.range)
          copy.range = this.range.slice();
        return copy;
      }
      /**
       * Adds a value to the collection. For `!!map` and `!!omap` the value must
       * be a Pair instance or a `{ key, value }` object, which may not have a key
       * that already exists in the map.
       */
      addIn(path2, value) {
        if (isEmptyPath(path2))
          this.add(value);
        else {
          const [key, ...rest] = path2;
          const node = this.get(key, true);
          if (identity.isCollection(node))
            node.addIn(rest, value);
          else if (node === void 0 && this.schema)
            this.set(key, collectionFromPath(this.schema, rest, value));
          else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
      }
      /**
       * Removes a value from the collection.
       * @returns `true` if the item was found and removed.
       */
      deleteIn(path2) {
        const [key, ...rest] = path2;
        if (rest.length === 0)
          return this.delete(key);
        const node = this.get(key, true);
        if (identity.isCollection(node))
          return node.deleteIn(rest);
        else
          throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
      }
      /**
       * Returns item at `key`, or `undefined` if not found. By default unwraps
       * scalar values from their surrounding node; to disable set `keepScalar` to
       * `true` (collections are always returned intact).
       */
      getIn(path2, keepScalar) {
        const [key, ...rest] = path2;
        const node = this.get(key, true);
        if (rest.length === 0)
          return !keepScalar && identity.isScalar(node) ? node.value : node;
        else
          return identity.isCollection(node) ? node.getIn(rest, keepScalar) : void 0;
      }
      hasAllNullValues(allowScalar) {
        return this.items.every((node) => {
          if (!identity.isPair(node))
            return false;
          const n = node.value;
          return n == null || allowScalar && identity.isScalar(n) && n.value == null && !n.commentBefore && !n.comment && !n.tag;
        });
      }
      /**
       * Checks if the collection includes a value with the key `key`.
       */
      hasIn(path2) {
        const [key, ...rest] = path2;
        if (rest.length === 0)
          return this.has(key);
        const node = this.get(key, true);
        return identity.isCollection(node) ? node.hasIn(rest) : false;
      }
      /**
       * Sets a value in this collection. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       */
      setIn(path2, value) {
        const [key, ...rest] = path2;
        if (rest.length === 0) {
          this.set(key, value);
        } else {
          const node = this.get(key, true);
          if (identity.isCollection(node))
            node.setIn(rest, value);
          else if (node === void 0 && this.schema)
            this.set(key, collectionFromPath(this.schema, rest, value));
          else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
      }
    };
    exports.Collection = Collection;
    exports.collectionFromPath = collectionFromPath;
    exports.isEmptyPath = isEmptyPath;
  }
});

// node_modules/yaml/dist/stringify/stringifyComment.js
var require_stringifyComment = __commonJS({
  "node_modules/yaml/dist/stringify/stringifyComment.js"(exports) {
    "use strict";
    var stringifyComment = (str) => str.replace(/^(?!$)(?: $)?/gm, "#");
    function indentComment(comment, indent) {
      if (/^\n+$/.test(comment))
        return comment.substring(1);
      return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
    }
    var lineComment = (str, indent, comment) => str.endsWith("\n") ? indentComment(comment, indent) : comment.includes("\n") ? "\n" + indentComment(comment, indent) : (str.endsWith(" ") ? "" : " ") + comment;
    exports.indentComment = indentComment;
    exports.lineComment = lineComment;
    exports.stringifyComment = stringifyComment;
  }
});

// node_modules/yaml/dist/stringify/foldFlowLines.js
var require_foldFlowLines = __commonJS({
  "node_modules/yaml/dist/stringify/foldFlowLines.js"(exports) {
    "use strict";
    var FOLD_FLOW = "flow";
    var FOLD_BLOCK = "block";
    var FOLD_QUOTED = "quoted";
    function foldFlowLines(text, indent, mode = "flow", { indentAtStart, lineWidth = 80, minContentWidth = 20, onFold, onOverflow } = {}) {
      if (!lineWidth || lineWidth < 0)
        return text;
      if (lineWidth < minContentWidth)
        minContentWidth = 0;
      const endStep = Math.max(1 + minContentWidth, 1 + lineWidth - indent.length);
      if (text.length <= endStep)
        return text;
      const folds = [];
      const escapedFolds = {};
      let end = lineWidth - indent.length;
      if (typeof indentAtStart === "number") {
        if (indentAtStart > lineWidth - Math.max(2, minContentWidth))
          folds.push(0);
        else
          end = lineWidth - indentAtStart;
      }
      let split = void 0;
      let prev = void 0;
      let overflow = false;
      let i = -1;
      let escStart = -1;
      let escEnd = -1;
      if (mode === FOLD_BLOCK) {
        i = consumeMoreIndentedLines(text, i, indent.length);
        if (i !== -1)
          end = i + endStep;
      }
      for (let ch; ch = text[i += 1]; ) {
        if (mode === FOLD_QUOTED && ch === "\\") {
          escStart = i;
          switch (text[i + 1]) {
            case "x":
              i += 3;
              break;
            case "u":
              i += 5;
              break;
            case "U":
              i += 9;
              break;
            default:
              i += 1;
          }
          escEnd = i;
        }
        if (ch === "\n") {
          if (mode === FOLD_BLOCK)
            i = consumeMoreIndentedLines(text, i, indent.length);
          end = i + indent.length + endStep;
          split = void 0;
        } else {
          if (ch === " " && prev && prev !== " " && prev !== "\n" && prev !== "	") {
            const next = text[i + 1];
            if (next && next !== " " && next !== "\n" && next !== "	")
              split = i;
          }
          if (i >= end) {
            if (split) {
              folds.push(split);
              end = split + endStep;
              split = void 0;
            } else if (mode === FOLD_QUOTED) {
              while (prev === " " || prev === "	") {
                prev = ch;
                ch = text[i += 1];
                overflow = true;
              }
              const j = i > escEnd + 1 ? i - 2 : escStart - 1;
              if (escapedFolds[j])
                return text;
              folds.push(j);
              escapedFolds[j] = true;
              end = j + endStep;
              split = void 0;
            } else {
              overflow = true;
            }
          }
        }
        prev = ch;
      }
      if (overflow && onOverflow)
        onOverflow();
      if (folds.length === 0)
        return text;
      if (onFold)
        onFold();
      let res = text.slice(0, folds[0]);
      for (let i2 = 0; i2 < folds.length; ++i2) {
        const fold = folds[i2];
        const end2 = folds[i2 + 1] || text.length;
        if (fold === 0)
          res = `
${indent}${text.slice(0, end2)}`;
        else {
          if (mode === FOLD_QUOTED && escapedFolds[fold])
            res += `${text[fold]}\\`;
          res += `
${indent}${text.slice(fold + 1, end2)}`;
        }
      }
      return res;
    }
    function consumeMoreIndentedLines(text, i, indent) {
      let end = i;
      let start = i + 1;
      let ch = text[start];
      while (ch === " " || ch === "	") {
        if (i < start + indent) {
          ch = text[++i];
        } else {
          do {
            ch = text[++i];
          } while (ch && ch !== "\n");
          end = i;
          start = i + 1;
          ch = text[start];
        }
      }
      return end;
    }
    exports.FOLD_BLOCK = FOLD_BLOCK;
    exports.FOLD_FLOW = FOLD_FLOW;
    exports.FOLD_QUOTED = FOLD_QUOTED;
    exports.foldFlowLines = foldFlowLines;
  }
});

// node_modules/yaml/dist/stringify/stringifyString.js
var require_stringifyString = __commonJS({
  "node_modules/yaml/dist/stringify/stringifyString.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var foldFlowLines = require_foldFlowLines();
    var getFoldOptions = (ctx, isBlock) => ({
      indentAtStart: isBlock ? ctx.indent.length : ctx.indentAtStart,
      lineWidth: ctx.options.lineWidth,
      minContentWidth: ctx.options.minContentWidth
    });
    var containsDocumentMarker = (str) => /^(%|---|\.\.\.)/m.test(str);
    function lineLengthOverLimit(str, lineWidth, indentLength) {
      if (!lineWidth || lineWidth < 0)
        return false;
      const limit = lineWidth - indentLength;
      const strLen = str.length;
      if (strLen <= limit)
        return false;
      for (let i = 0, start = 0; i < strLen; ++i) {
        if (str[i] === "\n") {
          if (i - start > limit)
            return true;
          start = i + 1;
          if (strLen - start <= limit)
            return false;
        }
      }
      return true;
    }
    function doubleQuotedString(value, ctx) {
      const json = JSON.stringify(value);
      if (ctx.options.doubleQuotedAsJSON)
        return json;
      const { implicitKey } = ctx;
      const minMultiLineLength = ctx.options.doubleQuotedMinMultiLineLength;
      const indent = ctx.indent || (containsDocumentMarker(value) ? "  " : "");
      let str = "";
      let start = 0;
      for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
        if (ch === " " && json[i + 1] === "\\" && json[i + 2] === "n") {
          str += json.slice(start, i) + "\\ ";
          i += 1;
          start = i;
          ch = "\\";
        }
        if (ch === "\\")
          switch (json[i + 1]) {
            case "u":
              {
                str += json.slice(start, i);
                const code = json.substr(i + 2, 4);
                switch (code) {
                  case "0000":
                    str += "\\0";
                    break;
                  case "0007":
                    str += "\\a";
                    break;
                  case "000b":
                    str += "\\v";
                    break;
                  case "001b":
                    str += "\\e";
                    break;
                  case "0085":
                    str += "\\N";
                    break;
                  case "00a0":
                    str += "\\_";
                    break;
                  case "2028":
                    str += "\\L";
                    break;
                  case "2029":
                    str += "\\P";
                    break;
                  default:
                    if (code.substr(0, 2) === "00")
                      str += "\\x" + code.substr(2);
                    else
                      str += json.substr(i, 6);
                }
                i += 5;
                start = i + 1;
              }
              break;
            case "n":
              if (implicitKey || json[i + 2] === '"' || json.length < minMultiLineLength) {
                i += 1;
              } else {
                str += json.slice(start, i) + "\n\n";
                while (json[i + 2] === "\\" && json[i + 3] === "n" && json[i + 4] !== '"') {
                  str += "\n";
                  i += 2;
                }
                str += indent;
                if (json[i + 2] === " ")
                  str += "\\";
                i += 1;
                start = i + 1;
              }
              break;
            default:
              i += 1;
          }
      }
      str = start ? str + json.slice(start) : json;
      return implicitKey ? str : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_QUOTED, getFoldOptions(ctx, false));
    }
    function singleQuotedString(value, ctx) {
      if (ctx.options.singleQuote === false || ctx.implicitKey && value.includes("\n") || /[ \t]\n|\n[ \t]/.test(value))
        return doubleQuotedString(value, ctx);
      const indent = ctx.indent || (containsDocumentMarker(value) ? "  " : "");
      const res = "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&
${indent}`) + "'";
      return ctx.implicitKey ? res : foldFlowLines.foldFlowLines(res, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
    }
    function quotedString(value, ctx) {
      const { singleQuote } = ctx.options;
      let qs;
      if (singleQuote === false)
        qs = doubleQuotedString;
      else {
        const hasDouble = value.includes('"');
        const hasSingle = value.includes("'");
        if (hasDouble && !hasSingle)
          qs = singleQuotedString;
        else if (hasSingle && !hasDouble)
          qs = doubleQuotedString;
        else
          qs = singleQuote ? singleQuotedString : doubleQuotedString;
      }
      return qs(value, ctx);
    }
    var blockEndNewlines;
    try {
      blockEndNewlines = new RegExp("(^|(?<!\n))\n+(?!\n|$)", "g");
    } catch {
      blockEndNewlines = /\n+(?!\n|$)/g;
    }
    function blockString({ comment, type, value }, ctx, onComment, onChompKeep) {
      const { blockQuote, commentString, lineWidth } = ctx.options;
      if (!blockQuote || /\n[\t ]+$/.test(value)) {
        return quotedString(value, ctx);
      }
      const indent = ctx.indent || (ctx.forceBlockIndent || containsDocumentMarker(value) ? "  " : "");
      const literal = blockQuote === "literal" ? true : blockQuote === "folded" || type === Scalar.Scalar.BLOCK_FOLDED ? false : type === Scalar.Scalar.BLOCK_LITERAL ? true : !lineLengthOverLimit(value, lineWidth, indent.length);
      if (!value)
        return literal ? "|\n" : ">\n";
      let chomp;
      let endStart;
      for (endStart = value.length; endStart > 0; --endStart) {
        const ch = value[endStart - 1];
        if (ch !== "\n" && ch !== "	" && ch !== " ")
          break;
      }
      let end = value.substring(endStart);
      const endNlPos = end.indexOf("\n");
      if (endNlPos === -1) {
        chomp = "-";
      } else if (value === end || endNlPos !== end.length - 1) {
        chomp = "+";
        if (onChompKeep)
          onChompKeep();
      } else {
        chomp = "";
      }
      if (end) {
        value = value.slice(0, -end.length);
        if (end[end.length - 1] === "\n")
          end = end.slice(0, -1);
        end = end.replace(blockEndNewlines, `$&${indent}`);
      }
      let startWithSpace = false;
      let startEnd;
      let startNlPos = -1;
      for (startEnd = 0; startEnd < value.length; ++startEnd) {
        const ch = value[startEnd];
        if (ch === " ")
          startWithSpace = true;
        else if (ch === "\n")
          startNlPos = startEnd;
        else
          break;
      }
      let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
      if (start) {
        value = value.substring(start.length);
        start = start.replace(/\n+/g, `$&${indent}`);
      }
      const indentSize = indent ? "2" : "1";
      let header = (startWithSpace ? indentSize : "") + chomp;
      if (comment) {
        header += " " + commentString(comment.replace(/ ?[\r\n]+/g, " "));
        if (onComment)
          onComment();
      }
      if (!literal) {
        const foldedValue = value.replace(/\n+/g, "\n$&").replace(/(?:^|\n)([\t ].*)(?:([\n\t ]*)\n(?![\n\t ]))?/g, "$1$2").replace(/\n+/g, `$&${indent}`);
        let literalFallback = false;
        const foldOptions = getFoldOptions(ctx, true);
        if (blockQuote !== "folded" && type !== Scalar.Scalar.BLOCK_FOLDED) {
          foldOptions.onOverflow = () => {
            literalFallback = true;
          };
        }
        const body = foldFlowLines.foldFlowLines(`${start}${foldedValue}${end}`, indent, foldFlowLines.FOLD_BLOCK, foldOptions);
        if (!literalFallback)
          return `>${header}
${indent}${body}`;
      }
      value = value.replace(/\n+/g, `$&${indent}`);
      return `|${header}
${indent}${start}${value}${end}`;
    }
    function plainString(item, ctx, onComment, onChompKeep) {
      const { type, value } = item;
      const { actualString, implicitKey, indent, indentStep, inFlow } = ctx;
      if (implicitKey && value.includes("\n") || inFlow && /[[\]{},]/.test(value)) {
        return quotedString(value, ctx);
      }
      if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
        return implicitKey || inFlow || !value.includes("\n") ? quotedString(value, ctx) : blockString(item, ctx, onComment, onChompKeep);
      }
      if (!implicitKey && !inFlow && type !== Scalar.Scalar.PLAIN && value.includes("\n")) {
        return blockString(item, ctx, onComment, onChompKeep);
      }
      if (containsDocumentMarker(value)) {
        if (indent === "") {
          ctx.forceBlockIndent = true;
          return blockString(item, ctx, onComment, onChompKeep);
        } else if (implicitKey && indent === indentStep) {
          return quotedString(value, ctx);
        }
      }
      const str = value.replace(/\n+/g, `$&
${indent}`);
      if (actualString) {
        const test = (tag) => tag.default && tag.tag !== "tag:yaml.org,2002:str" && tag.test?.test(str);
        const { compat, tags } = ctx.doc.schema;
        if (tags.some(test) || compat?.some(test))
          return quotedString(value, ctx);
      }
      return implicitKey ? str : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
    }
    function stringifyString(item, ctx, onComment, onChompKeep) {
      const { implicitKey, inFlow } = ctx;
      const ss = typeof item.value === "string" ? item : Object.assign({}, item, { value: String(item.value) });
      let { type } = item;
      if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
        if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u.test(ss.value))
          type = Scalar.Scalar.QUOTE_DOUBLE;
      }
      const _stringify = (_type) => {
        switch (_type) {
          case Scalar.Scalar.BLOCK_FOLDED:
          case Scalar.Scalar.BLOCK_LITERAL:
            return implicitKey || inFlow ? quotedString(ss.value, ctx) : blockString(ss, ctx, onComment, onChompKeep);
          case Scalar.Scalar.QUOTE_DOUBLE:
            return doubleQuotedString(ss.value, ctx);
          case Scalar.Scalar.QUOTE_SINGLE:
            return singleQuotedString(ss.value, ctx);
          case Scalar.Scalar.PLAIN:
            return plainString(ss, ctx, onComment, onChompKeep);
          default:
            return null;
        }
      };
      let res = _stringify(type);
      if (res === null) {
        const { defaultKeyType, defaultStringType } = ctx.options;
        const t = implicitKey && defaultKeyType || defaultStringType;
        res = _stringify(t);
        if (res === null)
          throw new Error(`Unsupported default string type ${t}`);
      }
      return res;
    }
    exports.stringifyString = stringifyString;
  }
});

// node_modules/yaml/dist/stringify/stringify.js
var require_stringify = __commonJS({
  "node_modules/yaml/dist/stringify/stringify.js"(exports) {
    "use strict";
    var anchors = require_anchors();
    var identity = require_identity();
    var stringifyComment = require_stringifyComment();
    var stringifyString = require_stringifyString();
    function createStringifyContext(doc, options) {
      const opt = Object.assign({
        blockQuote: true,
        commentString: stringifyComment.stringifyComment,
        defaultKeyType: null,
        defaultStringType: "PLAIN",
        directives: null,
        doubleQuotedAsJSON: false,
        doubleQuotedMinMultiLineLength: 40,
        falseStr: "false",
        flowCollectionPadding: true,
        indentSeq: true,
        lineWidth: 80,
        minContentWidth: 20,
        nullStr: "null",
        simpleKeys: false,
        singleQuote: null,
        trailingComma: false,
        trueStr: "true",
        verifyAliasOrder: true
      }, doc.schema.toStringOptions, options);
      let inFlow;
      switch (opt.collectionStyle) {
        case "block":
          inFlow = false;
          break;
        case "flow":
          inFlow = true;
          break;
        default:
          inFlow = null;
      }
      return {
        anchors: /* @__PURE__ */ new Set(),
        doc,
        flowCollectionPadding: opt.flowCollectionPadding ? " " : "",
        indent: "",
        indentStep: typeof opt.indent === "number" ? " ".repeat(opt.indent) : "  ",
        inFlow,
        options: opt
      };
    }
    function getTagObject(tags, item) {
      if (item.tag) {
        const match = tags.filter((t) => t.tag === item.tag);
        if (match.length > 0)
          return match.find((t) => t.format === item.format) ?? match[0];
      }
      let tagObj = void 0;
      let obj;
      if (identity.isScalar(item)) {
        obj = item.value;
        let match = tags.filter((t) => t.identify?.(obj));
        if (match.length > 1) {
          const testMatch = match.filter((t) => t.test);
          if (testMatch.length > 0)
            match = testMatch;
        }
        tagObj = match.find((t) => t.format === item.format) ?? match.find((t) => !t.format);
      } else {
        obj = item;
        tagObj = tags.find((t) => t.nodeClass && obj instanceof t.nodeClass);
      }
      if (!tagObj) {
        const name = obj?.constructor?.name ?? (obj === null ? "null" : typeof obj);
        throw new Error(`Tag not resolved for ${name} value`);
      }
      return tagObj;
    }
    function stringifyProps(node, tagObj, { anchors: anchors$1, doc }) {
      if (!doc.directives)
        return "";
      const props = [];
      const anchor = (identity.isScalar(node) || identity.isCollection(node)) && node.anchor;
      if (anchor && anchors.anchorIsValid(anchor)) {
        anchors$1.add(anchor);
        props.push(`&${anchor}`);
      }
      const tag = node.tag ?? (tagObj.default ? null : tagObj.tag);
      if (tag)
        props.push(doc.directives.tagString(tag));
      return props.join(" ");
    }
    function stringify(item, ctx, onComment, onChompKeep) {
      if (identity.isPair(item))
        return item.toString(ctx, onComment, onChompKeep);
      if (identity.isAlias(item)) {
        if (ctx.doc.directives)
          return item.toString(ctx);
        if (ctx.resolvedAliases?.has(item)) {
          throw new TypeError(`Cannot stringify circular structure without alias nodes`);
        } else {
          if (ctx.resolvedAliases)
            ctx.resolvedAliases.add(item);
          else
            ctx.resolvedAliases = /* @__PURE__ */ new Set([item]);
          item = item.resolve(ctx.doc);
        }
      }
      let tagObj = void 0;
      const node = identity.isNode(item) ? item : ctx.doc.createNode(item, { onTagObj: (o) => tagObj = o });
      tagObj ?? (tagObj = getTagObject(ctx.doc.schema.tags, node));
      const props = stringifyProps(node, tagObj, ctx);
      if (props.length > 0)
        ctx.indentAtStart = (ctx.indentAtStart ?? 0) + props.length + 1;
      const str = typeof tagObj.stringify === "function" ? tagObj.stringify(node, ctx, onComment, onChompKeep) : identity.isScalar(node) ? stringifyString.stringifyString(node, ctx, onComment, onChompKeep) : node.toString(ctx, onComment, onChompKeep);
      if (!props)
        return str;
      return identity.isScalar(node) || str[0] === "{" || str[0] === "[" ? `${props} ${str}` : `${props}
${ctx.indent}${str}`;
    }
    exports.createStringifyContext = createStringifyContext;
    exports.stringify = stringify;
  }
});

// node_modules/yaml/dist/stringify/stringifyPair.js
var require_stringifyPair = __commonJS({
  "node_modules/yaml/dist/stringify/stringifyPair.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var stringify = require_stringify();
    var stringifyComment = require_stringifyComment();
    function stringifyPair({ key, value }, ctx, onComment, onChompKeep) {
      const { allNullValues, doc, indent, indentStep, options: { commentString, indentSeq, simpleKeys } } = ctx;
      let keyComment = identity.isNode(key) && key.comment || null;
      if (simpleKeys) {
        if (keyComment) {
          throw new Error("With simple keys, key nodes cannot have comments");
        }
        if (identity.isCollection(key) || !identity.isNode(key) && typeof key === "object") {
          const msg = "With simple keys, collection cannot be used as a key value";
          throw new Error(msg);
        }
      }
      let explicitKey = !simpleKeys && (!key || keyComment && value == null && !ctx.inFlow || identity.isCollection(key) || (identity.isScalar(key) ? key.type === Scalar.Scalar.BLOCK_FOLDED || key.type === Scalar.Scalar.BLOCK_LITERAL : typeof key === "object"));
      ctx = Object.assign({}, ctx, {
        allNullValues: false,
        implicitKey: !explicitKey && (simpleKeys || !allNullValues),
        indent: indent + indentStep
      });
      let keyCommentDone = false;
      let chompKeep = false;
      let str = stringify.stringify(key, ctx, () => keyCommentDone = true, () => chompKeep = true);
      if (!explicitKey && !ctx.inFlow && str.length > 1024) {
        if (simpleKeys)
          throw new Error("With simple keys, single line scalar must not span more than 1024 characters");
        explicitKey = true;
      }
      if (ctx.inFlow) {
        if (allNullValues || value == null) {
          if (keyCommentDone && onComment)
            onComment();
          return str === "" ? "?" : explicitKey ? `? ${str}` : str;
        }
      } else if (allNullValues && !simpleKeys || value == null && explicitKey) {
        str = `? ${str}`;
        if (keyComment && !keyCommentDone) {
          str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        } else if (chompKeep && onChompKeep)
          onChompKeep();
        return str;
      }
      if (keyCommentDone)
        keyComment = null;
      if (explicitKey) {
        if (keyComment)
          str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        str = `? ${str}
${indent}:`;
      } else {
        str = `${str}:`;
        if (keyComment)
          str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
      }
      let vsb, vcb, valueComment;
      if (identity.isNode(value)) {
        vsb = !!value.spaceBefore;
        vcb = value.commentBefore;
        valueComment = value.comment;
      } else {
        vsb = false;
        vcb = null;
        valueComment = null;
        if (value && typeof value === "object")
          value = doc.createNode(value);
      }
      ctx.implicitKey = false;
      if (!explicitKey && !keyComment && identity.isScalar(value))
        ctx.indentAtStart = str.length + 1;
      chompKeep = false;
      if (!indentSeq && indentStep.length >= 2 && !ctx.inFlow && !explicitKey && identity.isSeq(value) && !value.flow && !value.tag && !value.anchor) {
        ctx.indent = ctx.indent.substring(2);
      }
      let valueCommentDone = false;
      const valueStr = stringify.stringify(value, ctx, () => valueCommentDone = true, () => chompKeep = true);
      let ws = " ";
      if (keyComment || vsb || vcb) {
        ws = vsb ? "\n" : "";
        if (vcb) {
          const cs = commentString(vcb);
          ws += `
${stringifyComment.indentComment(cs, ctx.indent)}`;
        }
        if (valueStr === "" && !ctx.inFlow) {
          if (ws === "\n" && valueComment)
            ws = "\n\n";
        } else {
          ws += `
${ctx.indent}`;
        }
      } else if (!explicitKey && identity.isCollection(value)) {
        const vs0 = valueStr[0];
        const nl0 = valueStr.indexOf("\n");
        const hasNewline = nl0 !== -1;
        const flow = ctx.inFlow ?? value.flow ?? value.items.length === 0;
        if (hasNewline || !flow) {
          let hasPropsLine = false;
          if (hasNewline && (vs0 === "&" || vs0 === "!")) {
            let sp0 = valueStr.indexOf(" ");
            if (vs0 === "&" && sp0 !== -1 && sp0 < nl0 && valueStr[sp0 + 1] === "!") {
              sp0 = valueStr.indexOf(" ", sp0 + 1);
            }
            if (sp0 === -1 || nl0 < sp0)
              hasPropsLine = true;
          }
          if (!hasPropsLine)
            ws = `
${ctx.indent}`;
        }
      } else if (valueStr === "" || valueStr[0] === "\n") {
        ws = "";
      }
      str += ws + valueStr;
      if (ctx.inFlow) {
        if (valueCommentDone && onComment)
          onComment();
      } else if (valueComment && !valueCommentDone) {
        str += stringifyComment.lineComment(str, ctx.indent, commentString(valueComment));
      } else if (chompKeep && onChompKeep) {
        onChompKeep();
      }
      return str;
    }
    exports.stringifyPair = stringifyPair;
  }
});

// node_modules/yaml/dist/log.js
var require_log = __commonJS({
  "node_modules/yaml/dist/log.js"(exports) {
    "use strict";
    var node_process = __require("process");
    function debug(logLevel, ...messages) {
      if (logLevel === "debug")
        console.log(...messages);
    }
    function warn(logLevel, warning) {
      if (logLevel === "debug" || logLevel === "warn") {
        if (typeof node_process.emitWarning === "function")
          node_process.emitWarning(warning);
        else
          console.warn(warning);
      }
    }
    exports.debug = debug;
    exports.warn = warn;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/merge.js
var require_merge = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/merge.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var MERGE_KEY = "<<";
    var merge = {
      identify: (value) => value === MERGE_KEY || typeof value === "symbol" && value.description === MERGE_KEY,
      default: "key",
      tag: "tag:yaml.org,2002:merge",
      test: /^<<$/,
      resolve: () => Object.assign(new Scalar.Scalar(Symbol(MERGE_KEY)), {
        addToJSMap: addMergeToJSMap
      }),
      stringify: () => MERGE_KEY
    };
    var isMergeKey = (ctx, key) => (merge.identify(key) || identity.isScalar(key) && (!key.type || key.type === Scalar.Scalar.PLAIN) && merge.identify(key.value)) && ctx?.doc.schema.tags.some((tag) => tag.tag === merge.tag && tag.default);
    function addMergeToJSMap(ctx, map, value) {
      const source = resolveAliasValue(ctx, value);
      if (identity.isSeq(source))
        for (const it of source.items)
          mergeValue(ctx, map, it);
      else if (Array.isArray(source))
        for (const it of source)
          mergeValue(ctx, map, it);
      else
        mergeValue(ctx, map, source);
    }
    function mergeValue(ctx, map, value) {
      const source = resolveAliasValue(ctx, value);
      if (!identity.isMap(source))
        throw new Error("Merge sources must be maps or map aliases");
      const srcMap = source.toJSON(null, ctx, Map);
      for (const [key, value2] of srcMap) {
        if (map instanceof Map) {
          if (!map.has(key))
            map.set(key, value2);
        } else if (map instanceof Set) {
          map.add(key);
        } else if (!Object.prototype.hasOwnProperty.call(map, key)) {
          Object.defineProperty(map, key, {
            value: value2,
            writable: true,
            enumerable: true,
            configurable: true
          });
        }
      }
      return map;
    }
    function resolveAliasValue(ctx, value) {
      return ctx && identity.isAlias(value) ? value.resolve(ctx.doc, ctx) : value;
    }
    exports.addMergeToJSMap = addMergeToJSMap;
    exports.isMergeKey = isMergeKey;
    exports.merge = merge;
  }
});

// node_modules/yaml/dist/nodes/addPairToJSMap.js
var require_addPairToJSMap = __commonJS({
  "node_modules/yaml/dist/nodes/addPairToJSMap.js"(exports) {
    "use strict";
    var log = require_log();
    var merge = require_merge();
    var stringify = require_stringify();
    var identity = require_identity();
    var toJS = require_toJS();
    function addPairToJSMap(ctx, map, { key, value }) {
      if (identity.isNode(key) && key.addToJSMap)
        key.addToJSMap(ctx, map, value);
      else if (merge.isMergeKey(ctx, key))
        merge.addMergeToJSMap(ctx, map, value);
      else {
        const jsKey = toJS.toJS(key, "", ctx);
        if (map instanceof Map) {
          map.set(jsKey, toJS.toJS(value, jsKey, ctx));
        } else if (map instanceof Set) {
          map.add(jsKey);
        } else {
          const stringKey = stringifyKey(key, jsKey, ctx);
          const jsValue = toJS.toJS(value, stringKey, ctx);
          if (stringKey in map)
            Object.defineProperty(map, stringKey, {
              value: jsValue,
              writable: true,
              enumerable: true,
              configurable: true
            });
          else
            map[stringKey] = jsValue;
        }
      }
      return map;
    }
    function stringifyKey(key, jsKey, ctx) {
      if (jsKey === null)
        return "";
      if (typeof jsKey !== "object")
        return String(jsKey);
      if (identity.isNode(key) && ctx?.doc) {
        const strCtx = stringify.createStringifyContext(ctx.doc, {});
        strCtx.anchors = /* @__PURE__ */ new Set();
        for (const node of ctx.anchors.keys())
          strCtx.anchors.add(node.anchor);
        strCtx.inFlow = true;
        strCtx.inStringifyKey = true;
        const strKey = key.toString(strCtx);
        if (!ctx.mapKeyWarned) {
          let jsonStr = JSON.stringify(strKey);
          if (jsonStr.length > 40)
            jsonStr = jsonStr.substring(0, 36) + '..."';
          log.warn(ctx.doc.options.logLevel, `Keys with collection values will be stringified due to JS Object restrictions: ${jsonStr}. Set mapAsMap: true to use object keys.`);
          ctx.mapKeyWarned = true;
        }
        return strKey;
      }
      return JSON.stringify(jsKey);
    }
    exports.addPairToJSMap = addPairToJSMap;
  }
});

// node_modules/yaml/dist/nodes/Pair.js
var require_Pair = __commonJS({
  "node_modules/yaml/dist/nodes/Pair.js"(exports) {
    "use strict";
    var createNode = require_createNode();
    var stringifyPair = require_stringifyPair();
    var addPairToJSMap = require_addPairToJSMap();
    var identity = require_identity();
    function createPair(key, value, ctx) {
      const k = createNode.createNode(key, void 0, ctx);
      const v = createNode.createNode(value, void 0, ctx);
      return new Pair(k, v);
    }
    var Pair = class _Pair {
      constructor(key, value = null) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.PAIR });
        this.key = key;
        this.value = value;
      }
      clone(schema) {
        let { key, value } = this;
        if (identity.isNode(key))
          key = key.clone(schema);
        if (identity.isNode(value))
          value = value.clone(schema);
        return new _Pair(key, value);
      }
      toJSON(_, ctx) {
        const pair = ctx?.mapAsMap ? /* @__PURE__ */ new Map() : {};
        return addPairToJSMap.addPairToJSMap(ctx, pair, this);
      }
      toString(ctx, onComment, onChompKeep) {
        return ctx?.doc ? stringifyPair.stringifyPair(this, ctx, onComment, onChompKeep) : JSON.stringify(this);
      }
    };
    exports.Pair = Pair;
    exports.createPair = createPair;
  }
});

// node_modules/yaml/dist/stringify/stringifyCollection.js
var require_stringifyCollection = __commonJS({
  "node_modules/yaml/dist/stringify/stringifyCollection.js"(exports) {
    "use strict";
    var identity = require_identity();
    var stringify = require_stringify();
    var stringifyComment = require_stringifyComment();
    function stringifyCollection(collection, ctx, options) {
      const flow = ctx.inFlow ?? collection.flow;
      const stringify2 = flow ? stringifyFlowCollection : stringifyBlockCollection;
      return stringify2(collection, ctx, options);
    }
    function stringifyBlockCollection({ comment, items }, ctx, { blockItemPrefix, flowChars, itemIndent, onChompKeep, onComment }) {
      const { indent, options: { commentString } } = ctx;
      const itemCtx = Object.assign({}, ctx, { indent: itemIndent, type: null });
      let chompKeep = false;
      const lines = [];
      for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment2 = null;
        if (identity.isNode(item)) {
          if (!chompKeep && item.spaceBefore)
            lines.push("");
          addCommentBefore(ctx, lines, item.commentBefore, chompKeep);
          if (item.comment)
            comment2 = item.comment;
        } else if (identity.isPair(item)) {
          const ik = identity.isNode(item.key) ? item.key : null;
          if (ik) {
            if (!chompKeep && ik.spaceBefore)
              lines.push("");
            addCommentBefore(ctx, lines, ik.commentBefore, chompKeep);
          }
        }
        chompKeep = false;
        let str2 = stringify.stringify(item, itemCtx, () => comment2 = null, () => chompKeep = true);
        if (comment2)
          str2 += stringifyComment.lineComment(str2, itemIndent, commentString(comment2));
        if (chompKeep && comment2)
          chompKeep = false;
        lines.push(blockItemPrefix + str2);
      }
      let str;
      if (lines.length === 0) {
        str = flowChars.start + flowChars.end;
      } else {
        str = lines[0];
        for (let i = 1; i < lines.length; ++i) {
          const line = lines[i];
          str += line ? `
${indent}${line}` : "\n";
        }
      }
      if (comment) {
        str += "\n" + stringifyComment.indentComment(commentString(comment), indent);
        if (onComment)
          onComment();
      } else if (chompKeep && onChompKeep)
        onChompKeep();
      return str;
    }
    function stringifyFlowCollection({ items }, ctx, { flowChars, itemIndent }) {
      const { indent, indentStep, flowCollectionPadding: fcPadding, options: { commentString } } = ctx;
      itemIndent += indentStep;
      const itemCtx = Object.assign({}, ctx, {
        indent: itemIndent,
        inFlow: true,
        type: null
      });
      let reqNewline = false;
      let linesAtValue = 0;
      const lines = [];
      for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
          if (item.spaceBefore)
            lines.push("");
          addCommentBefore(ctx, lines, item.commentBefore, false);
          if (item.comment)
            comment = item.comment;
        } else if (identity.isPair(item)) {
          const ik = identity.isNode(item.key) ? item.key : null;
          if (ik) {
            if (ik.spaceBefore)
              lines.push("");
            addCommentBefore(ctx, lines, ik.commentBefore, false);
            if (ik.comment)
              reqNewline = true;
          }
          const iv = identity.isNode(item.value) ? item.value : null;
          if (iv) {
            if (iv.comment)
              comment = iv.comment;
            if (iv.commentBefore)
              reqNewline = true;
          } else if (item.value == null && ik?.comment) {
            comment = ik.comment;
          }
        }
        if (comment)
          reqNewline = true;
        let str = stringify.stringify(item, itemCtx, () => comment = null);
        reqNewline || (reqNewline = lines.length > linesAtValue || str.includes("\n"));
        if (i < items.length - 1) {
          str += ",";
        } else if (ctx.options.trailingComma) {
          if (ctx.options.lineWidth > 0) {
            reqNewline || (reqNewline = lines.reduce((sum, line) => sum + line.length + 2, 2) + (str.length + 2) > ctx.options.lineWidth);
          }
          if (reqNewline) {
            str += ",";
          }
        }
        if (comment)
          str += stringifyComment.lineComment(str, itemIndent, commentString(comment));
        lines.push(str);
        linesAtValue = lines.length;
      }
      const { start, end } = flowChars;
      if (lines.length === 0) {
        return start + end;
      } else {
        if (!reqNewline) {
          const len = lines.reduce((sum, line) => sum + line.length + 2, 2);
          reqNewline = ctx.options.lineWidth > 0 && len > ctx.options.lineWidth;
        }
        if (reqNewline) {
          let str = start;
          for (const line of lines)
            str += line ? `
${indentStep}${indent}${line}` : "\n";
          return `${str}
${indent}${end}`;
        } else {
          return `${start}${fcPadding}${lines.join(" ")}${fcPadding}${end}`;
        }
      }
    }
    function addCommentBefore({ indent, options: { commentString } }, lines, comment, chompKeep) {
      if (comment && chompKeep)
        comment = comment.replace(/^\n+/, "");
      if (comment) {
        const ic = stringifyComment.indentComment(commentString(comment), indent);
        lines.push(ic.trimStart());
      }
    }
    exports.stringifyCollection = stringifyCollection;
  }
});

// node_modules/yaml/dist/nodes/YAMLMap.js
var require_YAMLMap = __commonJS({
  "node_modules/yaml/dist/nodes/YAMLMap.js"(exports) {
    "use strict";
    var stringifyCollection = require_stringifyCollection();
    var addPairToJSMap = require_addPairToJSMap();
    var Collection = require_Collection();
    var identity = require_identity();
    var Pair = require_Pair();
    var Scalar = require_Scalar();
    function findPair(items, key) {
      const k = identity.isScalar(key) ? key.value : key;
      for (const it of items) {
        if (identity.isPair(it)) {
          if (it.key === key || it.key === k)
            return it;
          if (identity.isScalar(it.key) && it.key.value === k)
            return it;
        }
      }
      return void 0;
    }
    var YAMLMap = class extends Collection.Collection {
      static get tagName() {
        return "tag:yaml.org,2002:map";
      }
      constructor(schema) {
        super(identity.MAP, schema);
        this.items = [];
      }
      /**
       * A generic collection parsing method that can be extended
       * to other node classes that inherit from YAMLMap
       */
      static from(schema, obj, ctx) {
        const { keepUndefined, replacer } = ctx;
        const map = new this(schema);
        const add = (key, value) => {
          if (typeof replacer === "function")
            value = replacer.call(obj, key, value);
          else if (Array.isArray(replacer) && !replacer.includes(key))
            return;
          if (value !== void 0 || keepUndefined)
            map.items.push(Pair.createPair(key, value, ctx));
        };
        if (obj instanceof Map) {
          for (const [key, value] of obj)
            add(key, value);
        } else if (obj && typeof obj === "object") {
          for (const key of Object.keys(obj))
            add(key, obj[key]);
        }
        if (typeof schema.sortMapEntries === "function") {
          map.items.sort(schema.sortMapEntries);
        }
        return map;
      }
      /**
       * Adds a value to the collection.
       *
       * @param overwrite - If not set `true`, using a key that is already in the
       *   collection will throw. Otherwise, overwrites the previous value.
       */
      add(pair, overwrite) {
        let _pair;
        if (identity.isPair(pair))
          _pair = pair;
        else if (!pair || typeof pair !== "object" || !("key" in pair)) {
          _pair = new Pair.Pair(pair, pair?.value);
        } else
          _pair = new Pair.Pair(pair.key, pair.value);
        const prev = findPair(this.items, _pair.key);
        const sortEntries = this.schema?.sortMapEntries;
        if (prev) {
          if (!overwrite)
            throw new Error(`Key ${_pair.key} already set`);
          if (identity.isScalar(prev.value) && Scalar.isScalarValue(_pair.value))
            prev.value.value = _pair.value;
          else
            prev.value = _pair.value;
        } else if (sortEntries) {
          const i = this.items.findIndex((item) => sortEntries(_pair, item) < 0);
          if (i === -1)
            this.items.push(_pair);
          else
            this.items.splice(i, 0, _pair);
        } else {
          this.items.push(_pair);
        }
      }
      delete(key) {
        const it = findPair(this.items, key);
        if (!it)
          return false;
        const del = this.items.splice(this.items.indexOf(it), 1);
        return del.length > 0;
      }
      get(key, keepScalar) {
        const it = findPair(this.items, key);
        const node = it?.value;
        return (!keepScalar && identity.isScalar(node) ? node.value : node) ?? void 0;
      }
      has(key) {
        return !!findPair(this.items, key);
      }
      set(key, value) {
        this.add(new Pair.Pair(key, value), true);
      }
      /**
       * @param ctx - Conversion context, originally set in Document#toJS()
       * @param {Class} Type - If set, forces the returned collection type
       * @returns Instance of Type, Map, or Object
       */
      toJSON(_, ctx, Type) {
        const map = Type ? new Type() : ctx?.mapAsMap ? /* @__PURE__ */ new Map() : {};
        if (ctx?.onCreate)
          ctx.onCreate(map);
        for (const item of this.items)
          addPairToJSMap.addPairToJSMap(ctx, map, item);
        return map;
      }
      toString(ctx, onComment, onChompKeep) {
        if (!ctx)
          return JSON.stringify(this);
        for (const item of this.items) {
          if (!identity.isPair(item))
            throw new Error(`Map items must all be pairs; found ${JSON.stringify(item)} instead`);
        }
        if (!ctx.allNullValues && this.hasAllNullValues(false))
          ctx = Object.assign({}, ctx, { allNullValues: true });
        return stringifyCollection.stringifyCollection(this, ctx, {
          blockItemPrefix: "",
          flowChars: { start: "{", end: "}" },
          itemIndent: ctx.indent || "",
          onChompKeep,
          onComment
        });
      }
    };
    exports.YAMLMap = YAMLMap;
    exports.findPair = findPair;
  }
});

// node_modules/yaml/dist/schema/common/map.js
var require_map = __commonJS({
  "node_modules/yaml/dist/schema/common/map.js"(exports) {
    "use strict";
    var identity = require_identity();
    var YAMLMap = require_YAMLMap();
    var map = {
      collection: "map",
      default: true,
      nodeClass: YAMLMap.YAMLMap,
      tag: "tag:yaml.org,2002:map",
      resolve(map2, onError) {
        if (!identity.isMap(map2))
          onError("Expected a mapping for this tag");
        return map2;
      },
      createNode: (schema, obj, ctx) => YAMLMap.YAMLMap.from(schema, obj, ctx)
    };
    exports.map = map;
  }
});

// node_modules/yaml/dist/nodes/YAMLSeq.js
var require_YAMLSeq = __commonJS({
  "node_modules/yaml/dist/nodes/YAMLSeq.js"(exports) {
    "use strict";
    var createNode = require_createNode();
    var stringifyCollection = require_stringifyCollection();
    var Collection = require_Collection();
    var identity = require_identity();
    var Scalar = require_Scalar();
    var toJS = require_toJS();
    var YAMLSeq = class extends Collection.Collection {
      static get tagName() {
        return "tag:yaml.org,2002:seq";
      }
      constructor(schema) {
        super(identity.SEQ, schema);
        this.items = [];
      }
      add(value) {
        this.items.push(value);
      }
      /**
       * Removes a value from the collection.
       *
       * `key` must contain a representation of an integer for this to succeed.
       * It may be wrapped in a `Scalar`.
       *
       * @returns `true` if the item was found and removed.
       */
      delete(key) {
        const idx = asItemIndex(key);
        if (typeof idx !== "number")
          return false;
        const del = this.items.splice(idx, 1);
        return del.length > 0;
      }
      get(key, keepScalar) {
        const idx = asItemIndex(key);
        if (typeof idx !== "number")
          return void 0;
        const it = this.items[idx];
        return !keepScalar && identity.isScalar(it) ? it.value : it;
      }
      /**
       * Checks if the collection includes a value with the key `key`.
       *
       * `key` must contain a representation of an integer for this to succeed.
       * It may be wrapped in a `Scalar`.
       */
      has(key) {
        const idx = asItemIndex(key);
        return typeof idx === "number" && idx < this.items.length;
      }
      /**
       * Sets a value in this collection. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       *
       * If `key` does not contain a representation of an integer, this will throw.
       * It may be wrapped in a `Scalar`.
       */
      set(key, value) {
        const idx = asItemIndex(key);
        if (typeof idx !== "number")
          throw new Error(`Expected a valid index, not ${key}.`);
        const prev = this.items[idx];
        if (identity.isScalar(prev) && Scalar.isScalarValue(value))
          prev.value = value;
        else
          this.items[idx] = value;
      }
      toJSON(_, ctx) {
        const seq = [];
        if (ctx?.onCreate)
          ctx.onCreate(seq);
        let i = 0;
        for (const item of this.items)
          seq.push(toJS.toJS(item, String(i++), ctx));
        return seq;
      }
      toString(ctx, onComment, onChompKeep) {
        if (!ctx)
          return JSON.stringify(this);
        return stringifyCollection.stringifyCollection(this, ctx, {
          blockItemPrefix: "- ",
          flowChars: { start: "[", end: "]" },
          itemIndent: (ctx.indent || "") + "  ",
          onChompKeep,
          onComment
        });
      }
      static from(schema, obj, ctx) {
        const { replacer } = ctx;
        const seq = new this(schema);
        if (obj && Symbol.iterator in Object(obj)) {
          let i = 0;
          for (let it of obj) {
            if (typeof replacer === "function") {
              const key = obj instanceof Set ? it : String(i++);
              it = replacer.call(obj, key, it);
            }
            seq.items.push(createNode.createNode(it, void 0, ctx));
          }
        }
        return seq;
      }
    };
    function asItemIndex(key) {
      let idx = identity.isScalar(key) ? key.value : key;
      if (idx && typeof idx === "string")
        idx = Number(idx);
      return typeof idx === "number" && Number.isInteger(idx) && idx >= 0 ? idx : null;
    }
    exports.YAMLSeq = YAMLSeq;
  }
});

// node_modules/yaml/dist/schema/common/seq.js
var require_seq = __commonJS({
  "node_modules/yaml/dist/schema/common/seq.js"(exports) {
    "use strict";
    var identity = require_identity();
    var YAMLSeq = require_YAMLSeq();
    var seq = {
      collection: "seq",
      default: true,
      nodeClass: YAMLSeq.YAMLSeq,
      tag: "tag:yaml.org,2002:seq",
      resolve(seq2, onError) {
        if (!identity.isSeq(seq2))
          onError("Expected a sequence for this tag");
        return seq2;
      },
      createNode: (schema, obj, ctx) => YAMLSeq.YAMLSeq.from(schema, obj, ctx)
    };
    exports.seq = seq;
  }
});

// node_modules/yaml/dist/schema/common/string.js
var require_string = __commonJS({
  "node_modules/yaml/dist/schema/common/string.js"(exports) {
    "use strict";
    var stringifyString = require_stringifyString();
    var string = {
      identify: (value) => typeof value === "string",
      default: true,
      tag: "tag:yaml.org,2002:str",
      resolve: (str) => str,
      stringify(item, ctx, onComment, onChompKeep) {
        ctx = Object.assign({ actualString: true }, ctx);
        return stringifyString.stringifyString(item, ctx, onComment, onChompKeep);
      }
    };
    exports.string = string;
  }
});

// node_modules/yaml/dist/schema/common/null.js
var require_null = __commonJS({
  "node_modules/yaml/dist/schema/common/null.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var nullTag = {
      identify: (value) => value == null,
      createNode: () => new Scalar.Scalar(null),
      default: true,
      tag: "tag:yaml.org,2002:null",
      test: /^(?:~|[Nn]ull|NULL)?$/,
      resolve: () => new Scalar.Scalar(null),
      stringify: ({ source }, ctx) => typeof source === "string" && nullTag.test.test(source) ? source : ctx.options.nullStr
    };
    exports.nullTag = nullTag;
  }
});

// node_modules/yaml/dist/schema/core/bool.js
var require_bool = __commonJS({
  "node_modules/yaml/dist/schema/core/bool.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var boolTag = {
      identify: (value) => typeof value === "boolean",
      default: true,
      tag: "tag:yaml.org,2002:bool",
      test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
      resolve: (str) => new Scalar.Scalar(str[0] === "t" || str[0] === "T"),
      stringify({ source, value }, ctx) {
        if (source && boolTag.test.test(source)) {
          const sv = source[0] === "t" || source[0] === "T";
          if (value === sv)
            return source;
        }
        return value ? ctx.options.trueStr : ctx.options.falseStr;
      }
    };
    exports.boolTag = boolTag;
  }
});

// node_modules/yaml/dist/stringify/stringifyNumber.js
var require_stringifyNumber = __commonJS({
  "node_modules/yaml/dist/stringify/stringifyNumber.js"(exports) {
    "use strict";
    function stringifyNumber({ format, minFractionDigits, tag, value }) {
      if (typeof value === "bigint")
        return String(value);
      const num = typeof value === "number" ? value : Number(value);
      if (!isFinite(num))
        return isNaN(num) ? ".nan" : num < 0 ? "-.inf" : ".inf";
      let n = Object.is(value, -0) ? "-0" : JSON.stringify(value);
      if (!format && minFractionDigits && (!tag || tag === "tag:yaml.org,2002:float") && /^-?\d/.test(n) && !n.includes("e")) {
        let i = n.indexOf(".");
        if (i < 0) {
          i = n.length;
          n += ".";
        }
        let d = minFractionDigits - (n.length - i - 1);
        while (d-- > 0)
          n += "0";
      }
      return n;
    }
    exports.stringifyNumber = stringifyNumber;
  }
});

// node_modules/yaml/dist/schema/core/float.js
var require_float = __commonJS({
  "node_modules/yaml/dist/schema/core/float.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var stringifyNumber = require_stringifyNumber();
    var floatNaN = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
      resolve: (str) => str.slice(-3).toLowerCase() === "nan" ? NaN : str[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
      stringify: stringifyNumber.stringifyNumber
    };
    var floatExp = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      format: "EXP",
      test: /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
      resolve: (str) => parseFloat(str),
      stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
      }
    };
    var float = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
      resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str));
        const dot = str.indexOf(".");
        if (dot !== -1 && str[str.length - 1] === "0")
          node.minFractionDigits = str.length - dot - 1;
        return node;
      },
      stringify: stringifyNumber.stringifyNumber
    };
    exports.float = float;
    exports.floatExp = floatExp;
    exports.floatNaN = floatNaN;
  }
});

// node_modules/yaml/dist/schema/core/int.js
var require_int = __commonJS({
  "node_modules/yaml/dist/schema/core/int.js"(exports) {
    "use strict";
    var stringifyNumber = require_stringifyNumber();
    var intIdentify = (value) => typeof value === "bigint" || Number.isInteger(value);
    var intResolve = (str, offset, radix, { intAsBigInt }) => intAsBigInt ? BigInt(str) : parseInt(str.substring(offset), radix);
    function intStringify(node, radix, prefix) {
      const { value } = node;
      if (intIdentify(value) && value >= 0)
        return prefix + value.toString(radix);
      return stringifyNumber.stringifyNumber(node);
    }
    var intOct = {
      identify: (value) => intIdentify(value) && value >= 0,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "OCT",
      test: /^0o[0-7]+$/,
      resolve: (str, _onError, opt) => intResolve(str, 2, 8, opt),
      stringify: (node) => intStringify(node, 8, "0o")
    };
    var int = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      test: /^[-+]?[0-9]+$/,
      resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
      stringify: stringifyNumber.stringifyNumber
    };
    var intHex = {
      identify: (value) => intIdentify(value) && value >= 0,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "HEX",
      test: /^0x[0-9a-fA-F]+$/,
      resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
      stringify: (node) => intStringify(node, 16, "0x")
    };
    exports.int = int;
    exports.intHex = intHex;
    exports.intOct = intOct;
  }
});

// node_modules/yaml/dist/schema/core/schema.js
var require_schema = __commonJS({
  "node_modules/yaml/dist/schema/core/schema.js"(exports) {
    "use strict";
    var map = require_map();
    var _null = require_null();
    var seq = require_seq();
    var string = require_string();
    var bool = require_bool();
    var float = require_float();
    var int = require_int();
    var schema = [
      map.map,
      seq.seq,
      string.string,
      _null.nullTag,
      bool.boolTag,
      int.intOct,
      int.int,
      int.intHex,
      float.floatNaN,
      float.floatExp,
      float.float
    ];
    exports.schema = schema;
  }
});

// node_modules/yaml/dist/schema/json/schema.js
var require_schema2 = __commonJS({
  "node_modules/yaml/dist/schema/json/schema.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var map = require_map();
    var seq = require_seq();
    function intIdentify(value) {
      return typeof value === "bigint" || Number.isInteger(value);
    }
    var stringifyJSON = ({ value }) => JSON.stringify(value);
    var jsonScalars = [
      {
        identify: (value) => typeof value === "string",
        default: true,
        tag: "tag:yaml.org,2002:str",
        resolve: (str) => str,
        stringify: stringifyJSON
      },
      {
        identify: (value) => value == null,
        createNode: () => new Scalar.Scalar(null),
        default: true,
        tag: "tag:yaml.org,2002:null",
        test: /^null$/,
        resolve: () => null,
        stringify: stringifyJSON
      },
      {
        identify: (value) => typeof value === "boolean",
        default: true,
        tag: "tag:yaml.org,2002:bool",
        test: /^true$|^false$/,
        resolve: (str) => str === "true",
        stringify: stringifyJSON
      },
      {
        identify: intIdentify,
        default: true,
        tag: "tag:yaml.org,2002:int",
        test: /^-?(?:0|[1-9][0-9]*)$/,
        resolve: (str, _onError, { intAsBigInt }) => intAsBigInt ? BigInt(str) : parseInt(str, 10),
        stringify: ({ value }) => intIdentify(value) ? value.toString() : JSON.stringify(value)
      },
      {
        identify: (value) => typeof value === "number",
        default: true,
        tag: "tag:yaml.org,2002:float",
        test: /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/,
        resolve: (str) => parseFloat(str),
        stringify: stringifyJSON
      }
    ];
    var jsonError = {
      default: true,
      tag: "",
      test: /^/,
      resolve(str, onError) {
        onError(`Unresolved plain scalar ${JSON.stringify(str)}`);
        return str;
      }
    };
    var schema = [map.map, seq.seq].concat(jsonScalars, jsonError);
    exports.schema = schema;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/binary.js
var require_binary = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/binary.js"(exports) {
    "use strict";
    var node_buffer = __require("buffer");
    var Scalar = require_Scalar();
    var stringifyString = require_stringifyString();
    var binary = {
      identify: (value) => value instanceof Uint8Array,
      // Buffer inherits from Uint8Array
      default: false,
      tag: "tag:yaml.org,2002:binary",
      /**
       * Returns a Buffer in node and an Uint8Array in browsers
       *
       * To use the resulting buffer as an image, you'll want to do something like:
       *
       *   const blob = new Blob([buffer], { type: 'image/jpeg' })
       *   document.querySelector('#photo').src = URL.createObjectURL(blob)
       */
      resolve(src, onError) {
        if (typeof node_buffer.Buffer === "function") {
          return node_buffer.Buffer.from(src, "base64");
        } else if (typeof atob === "function") {
          const str = atob(src.replace(/[\n\r]/g, ""));
          const buffer = new Uint8Array(str.length);
          for (let i = 0; i < str.length; ++i)
            buffer[i] = str.charCodeAt(i);
          return buffer;
        } else {
          onError("This environment does not support reading binary tags; either Buffer or atob is required");
          return src;
        }
      },
      stringify({ comment, type, value }, ctx, onComment, onChompKeep) {
        if (!value)
          return "";
        const buf = value;
        let str;
        if (typeof node_buffer.Buffer === "function") {
          str = buf instanceof node_buffer.Buffer ? buf.toString("base64") : node_buffer.Buffer.from(buf.buffer).toString("base64");
        } else if (typeof btoa === "function") {
          let s = "";
          for (let i = 0; i < buf.length; ++i)
            s += String.fromCharCode(buf[i]);
          str = btoa(s);
        } else {
          throw new Error("This environment does not support writing binary tags; either Buffer or btoa is required");
        }
        type ?? (type = Scalar.Scalar.BLOCK_LITERAL);
        if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
          const lineWidth = Math.max(ctx.options.lineWidth - ctx.indent.length, ctx.options.minContentWidth);
          const n = Math.ceil(str.length / lineWidth);
          const lines = new Array(n);
          for (let i = 0, o = 0; i < n; ++i, o += lineWidth) {
            lines[i] = str.substr(o, lineWidth);
          }
          str = lines.join(type === Scalar.Scalar.BLOCK_LITERAL ? "\n" : " ");
        }
        return stringifyString.stringifyString({ comment, type, value: str }, ctx, onComment, onChompKeep);
      }
    };
    exports.binary = binary;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/pairs.js
var require_pairs = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/pairs.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Pair = require_Pair();
    var Scalar = require_Scalar();
    var YAMLSeq = require_YAMLSeq();
    function resolvePairs(seq, onError) {
      if (identity.isSeq(seq)) {
        for (let i = 0; i < seq.items.length; ++i) {
          let item = seq.items[i];
          if (identity.isPair(item))
            continue;
          else if (identity.isMap(item)) {
            if (item.items.length > 1)
              onError("Each pair must have its own sequence indicator");
            const pair = item.items[0] || new Pair.Pair(new Scalar.Scalar(null));
            if (item.commentBefore)
              pair.key.commentBefore = pair.key.commentBefore ? `${item.commentBefore}
${pair.key.commentBefore}` : item.commentBefore;
            if (item.comment) {
              const cn = pair.value ?? pair.key;
              cn.comment = cn.comment ? `${item.comment}
${cn.comment}` : item.comment;
            }
            item = pair;
          }
          seq.items[i] = identity.isPair(item) ? item : new Pair.Pair(item);
        }
      } else
        onError("Expected a sequence for this tag");
      return seq;
    }
    function createPairs(schema, iterable, ctx) {
      const { replacer } = ctx;
      const pairs2 = new YAMLSeq.YAMLSeq(schema);
      pairs2.tag = "tag:yaml.org,2002:pairs";
      let i = 0;
      if (iterable && Symbol.iterator in Object(iterable))
        for (let it of iterable) {
          if (typeof replacer === "function")
            it = replacer.call(iterable, String(i++), it);
          let key, value;
          if (Array.isArray(it)) {
            if (it.length === 2) {
              key = it[0];
              value = it[1];
            } else
              throw new TypeError(`Expected [key, value] tuple: ${it}`);
          } else if (it && it instanceof Object) {
            const keys = Object.keys(it);
            if (keys.length === 1) {
              key = keys[0];
              value = it[key];
            } else {
              throw new TypeError(`Expected tuple with one key, not ${keys.length} keys`);
            }
          } else {
            key = it;
          }
          pairs2.items.push(Pair.createPair(key, value, ctx));
        }
      return pairs2;
    }
    var pairs = {
      collection: "seq",
      default: false,
      tag: "tag:yaml.org,2002:pairs",
      resolve: resolvePairs,
      createNode: createPairs
    };
    exports.createPairs = createPairs;
    exports.pairs = pairs;
    exports.resolvePairs = resolvePairs;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/omap.js
var require_omap = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/omap.js"(exports) {
    "use strict";
    var identity = require_identity();
    var toJS = require_toJS();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var pairs = require_pairs();
    var YAMLOMap = class _YAMLOMap extends YAMLSeq.YAMLSeq {
      constructor() {
        super();
        this.add = YAMLMap.YAMLMap.prototype.add.bind(this);
        this.delete = YAMLMap.YAMLMap.prototype.delete.bind(this);
        this.get = YAMLMap.YAMLMap.prototype.get.bind(this);
        this.has = YAMLMap.YAMLMap.prototype.has.bind(this);
        this.set = YAMLMap.YAMLMap.prototype.set.bind(this);
        this.tag = _YAMLOMap.tag;
      }
      /**
       * If `ctx` is given, the return type is actually `Map<unknown, unknown>`,
       * but TypeScript won't allow widening the signature of a child method.
       */
      toJSON(_, ctx) {
        if (!ctx)
          return super.toJSON(_);
        const map = /* @__PURE__ */ new Map();
        if (ctx?.onCreate)
          ctx.onCreate(map);
        for (const pair of this.items) {
          let key, value;
          if (identity.isPair(pair)) {
            key = toJS.toJS(pair.key, "", ctx);
            value = toJS.toJS(pair.value, key, ctx);
          } else {
            key = toJS.toJS(pair, "", ctx);
          }
          if (map.has(key))
            throw new Error("Ordered maps must not include duplicate keys");
          map.set(key, value);
        }
        return map;
      }
      static from(schema, iterable, ctx) {
        const pairs$1 = pairs.createPairs(schema, iterable, ctx);
        const omap2 = new this();
        omap2.items = pairs$1.items;
        return omap2;
      }
    };
    YAMLOMap.tag = "tag:yaml.org,2002:omap";
    var omap = {
      collection: "seq",
      identify: (value) => value instanceof Map,
      nodeClass: YAMLOMap,
      default: false,
      tag: "tag:yaml.org,2002:omap",
      resolve(seq, onError) {
        const pairs$1 = pairs.resolvePairs(seq, onError);
        const seenKeys = [];
        for (const { key } of pairs$1.items) {
          if (identity.isScalar(key)) {
            if (seenKeys.includes(key.value)) {
              onError(`Ordered maps must not include duplicate keys: ${key.value}`);
            } else {
              seenKeys.push(key.value);
            }
          }
        }
        return Object.assign(new YAMLOMap(), pairs$1);
      },
      createNode: (schema, iterable, ctx) => YAMLOMap.from(schema, iterable, ctx)
    };
    exports.YAMLOMap = YAMLOMap;
    exports.omap = omap;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/bool.js
var require_bool2 = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/bool.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    function boolStringify({ value, source }, ctx) {
      const boolObj = value ? trueTag : falseTag;
      if (source && boolObj.test.test(source))
        return source;
      return value ? ctx.options.trueStr : ctx.options.falseStr;
    }
    var trueTag = {
      identify: (value) => value === true,
      default: true,
      tag: "tag:yaml.org,2002:bool",
      test: /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
      resolve: () => new Scalar.Scalar(true),
      stringify: boolStringify
    };
    var falseTag = {
      identify: (value) => value === false,
      default: true,
      tag: "tag:yaml.org,2002:bool",
      test: /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
      resolve: () => new Scalar.Scalar(false),
      stringify: boolStringify
    };
    exports.falseTag = falseTag;
    exports.trueTag = trueTag;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/float.js
var require_float2 = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/float.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var stringifyNumber = require_stringifyNumber();
    var floatNaN = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
      resolve: (str) => str.slice(-3).toLowerCase() === "nan" ? NaN : str[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
      stringify: stringifyNumber.stringifyNumber
    };
    var floatExp = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      format: "EXP",
      test: /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
      resolve: (str) => parseFloat(str.replace(/_/g, "")),
      stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
      }
    };
    var float = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
      resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str.replace(/_/g, "")));
        const dot = str.indexOf(".");
        if (dot !== -1) {
          const f = str.substring(dot + 1).replace(/_/g, "");
          if (f[f.length - 1] === "0")
            node.minFractionDigits = f.length;
        }
        return node;
      },
      stringify: stringifyNumber.stringifyNumber
    };
    exports.float = float;
    exports.floatExp = floatExp;
    exports.floatNaN = floatNaN;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/int.js
var require_int2 = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/int.js"(exports) {
    "use strict";
    var stringifyNumber = require_stringifyNumber();
    var intIdentify = (value) => typeof value === "bigint" || Number.isInteger(value);
    function intResolve(str, offset, radix, { intAsBigInt }) {
      const sign = str[0];
      if (sign === "-" || sign === "+")
        offset += 1;
      str = str.substring(offset).replace(/_/g, "");
      if (intAsBigInt) {
        switch (radix) {
          case 2:
            str = `0b${str}`;
            break;
          case 8:
            str = `0o${str}`;
            break;
          case 16:
            str = `0x${str}`;
            break;
        }
        const n2 = BigInt(str);
        return sign === "-" ? BigInt(-1) * n2 : n2;
      }
      const n = parseInt(str, radix);
      return sign === "-" ? -1 * n : n;
    }
    function intStringify(node, radix, prefix) {
      const { value } = node;
      if (intIdentify(value)) {
        const str = value.toString(radix);
        return value < 0 ? "-" + prefix + str.substr(1) : prefix + str;
      }
      return stringifyNumber.stringifyNumber(node);
    }
    var intBin = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "BIN",
      test: /^[-+]?0b[0-1_]+$/,
      resolve: (str, _onError, opt) => intResolve(str, 2, 2, opt),
      stringify: (node) => intStringify(node, 2, "0b")
    };
    var intOct = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "OCT",
      test: /^[-+]?0[0-7_]+$/,
      resolve: (str, _onError, opt) => intResolve(str, 1, 8, opt),
      stringify: (node) => intStringify(node, 8, "0")
    };
    var int = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      test: /^[-+]?[0-9][0-9_]*$/,
      resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
      stringify: stringifyNumber.stringifyNumber
    };
    var intHex = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "HEX",
      test: /^[-+]?0x[0-9a-fA-F_]+$/,
      resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
      stringify: (node) => intStringify(node, 16, "0x")
    };
    exports.int = int;
    exports.intBin = intBin;
    exports.intHex = intHex;
    exports.intOct = intOct;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/set.js
var require_set = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/set.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Pair = require_Pair();
    var YAMLMap = require_YAMLMap();
    var YAMLSet = class _YAMLSet extends YAMLMap.YAMLMap {
      constructor(schema) {
        super(schema);
        this.tag = _YAMLSet.tag;
      }
      add(key) {
        let pair;
        if (identity.isPair(key))
          pair = key;
        else if (key && typeof key === "object" && "key" in key && "value" in key && key.value === null)
          pair = new Pair.Pair(key.key, null);
        else
          pair = new Pair.Pair(key, null);
        const prev = YAMLMap.findPair(this.items, pair.key);
        if (!prev)
          this.items.push(pair);
      }
      /**
       * If `keepPair` is `true`, returns the Pair matching `key`.
       * Otherwise, returns the value of that Pair's key.
       */
      get(key, keepPair) {
        const pair = YAMLMap.findPair(this.items, key);
        return !keepPair && identity.isPair(pair) ? identity.isScalar(pair.key) ? pair.key.value : pair.key : pair;
      }
      set(key, value) {
        if (typeof value !== "boolean")
          throw new Error(`Expected boolean value for set(key, value) in a YAML set, not ${typeof value}`);
        const prev = YAMLMap.findPair(this.items, key);
        if (prev && !value) {
          this.items.splice(this.items.indexOf(prev), 1);
        } else if (!prev && value) {
          this.items.push(new Pair.Pair(key));
        }
      }
      toJSON(_, ctx) {
        return super.toJSON(_, ctx, Set);
      }
      toString(ctx, onComment, onChompKeep) {
        if (!ctx)
          return JSON.stringify(this);
        if (this.hasAllNullValues(true))
          return super.toString(Object.assign({}, ctx, { allNullValues: true }), onComment, onChompKeep);
        else
          throw new Error("Set items must all have null values");
      }
      static from(schema, iterable, ctx) {
        const { replacer } = ctx;
        const set2 = new this(schema);
        if (iterable && Symbol.iterator in Object(iterable))
          for (let value of iterable) {
            if (typeof replacer === "function")
              value = replacer.call(iterable, value, value);
            set2.items.push(Pair.createPair(value, null, ctx));
          }
        return set2;
      }
    };
    YAMLSet.tag = "tag:yaml.org,2002:set";
    var set = {
      collection: "map",
      identify: (value) => value instanceof Set,
      nodeClass: YAMLSet,
      default: false,
      tag: "tag:yaml.org,2002:set",
      createNode: (schema, iterable, ctx) => YAMLSet.from(schema, iterable, ctx),
      resolve(map, onError) {
        if (identity.isMap(map)) {
          if (map.hasAllNullValues(true))
            return Object.assign(new YAMLSet(), map);
          else
            onError("Set items must all have null values");
        } else
          onError("Expected a mapping for this tag");
        return map;
      }
    };
    exports.YAMLSet = YAMLSet;
    exports.set = set;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/timestamp.js
var require_timestamp = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/timestamp.js"(exports) {
    "use strict";
    var stringifyNumber = require_stringifyNumber();
    function parseSexagesimal(str, asBigInt) {
      const sign = str[0];
      const parts = sign === "-" || sign === "+" ? str.substring(1) : str;
      const num = (n) => asBigInt ? BigInt(n) : Number(n);
      const res = parts.replace(/_/g, "").split(":").reduce((res2, p) => res2 * num(60) + num(p), num(0));
      return sign === "-" ? num(-1) * res : res;
    }
    function stringifySexagesimal(node) {
      let { value } = node;
      let num = (n) => n;
      if (typeof value === "bigint")
        num = (n) => BigInt(n);
      else if (isNaN(value) || !isFinite(value))
        return stringifyNumber.stringifyNumber(node);
      let sign = "";
      if (value < 0) {
        sign = "-";
        value *= num(-1);
      }
      const _60 = num(60);
      const parts = [value % _60];
      if (value < 60) {
        parts.unshift(0);
      } else {
        value = (value - parts[0]) / _60;
        parts.unshift(value % _60);
        if (value >= 60) {
          value = (value - parts[0]) / _60;
          parts.unshift(value);
        }
      }
      return sign + parts.map((n) => String(n).padStart(2, "0")).join(":").replace(/000000\d*$/, "");
    }
    var intTime = {
      identify: (value) => typeof value === "bigint" || Number.isInteger(value),
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "TIME",
      test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
      resolve: (str, _onError, { intAsBigInt }) => parseSexagesimal(str, intAsBigInt),
      stringify: stringifySexagesimal
    };
    var floatTime = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      format: "TIME",
      test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
      resolve: (str) => parseSexagesimal(str, false),
      stringify: stringifySexagesimal
    };
    var timestamp = {
      identify: (value) => value instanceof Date,
      default: true,
      tag: "tag:yaml.org,2002:timestamp",
      // If the time zone is omitted, the timestamp is assumed to be specified in UTC. The time part
      // may be omitted altogether, resulting in a date format. In such a case, the time part is
      // assumed to be 00:00:00Z (start of day, UTC).
      test: RegExp("^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \\t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\\.[0-9]+)?)(?:[ \\t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$"),
      resolve(str) {
        const match = str.match(timestamp.test);
        if (!match)
          throw new Error("!!timestamp expects a date, starting with yyyy-mm-dd");
        const [, year, month, day, hour, minute, second] = match.map(Number);
        const millisec = match[7] ? Number((match[7] + "00").substr(1, 3)) : 0;
        let date = Date.UTC(year, month - 1, day, hour || 0, minute || 0, second || 0, millisec);
        const tz = match[8];
        if (tz && tz !== "Z") {
          let d = parseSexagesimal(tz, false);
          if (Math.abs(d) < 30)
            d *= 60;
          date -= 6e4 * d;
        }
        return new Date(date);
      },
      stringify: ({ value }) => value?.toISOString().replace(/(T00:00:00)?\.000Z$/, "") ?? ""
    };
    exports.floatTime = floatTime;
    exports.intTime = intTime;
    exports.timestamp = timestamp;
  }
});

// node_modules/yaml/dist/schema/yaml-1.1/schema.js
var require_schema3 = __commonJS({
  "node_modules/yaml/dist/schema/yaml-1.1/schema.js"(exports) {
    "use strict";
    var map = require_map();
    var _null = require_null();
    var seq = require_seq();
    var string = require_string();
    var binary = require_binary();
    var bool = require_bool2();
    var float = require_float2();
    var int = require_int2();
    var merge = require_merge();
    var omap = require_omap();
    var pairs = require_pairs();
    var set = require_set();
    var timestamp = require_timestamp();
    var schema = [
      map.map,
      seq.seq,
      string.string,
      _null.nullTag,
      bool.trueTag,
      bool.falseTag,
      int.intBin,
      int.intOct,
      int.int,
      int.intHex,
      float.floatNaN,
      float.floatExp,
      float.float,
      binary.binary,
      merge.merge,
      omap.omap,
      pairs.pairs,
      set.set,
      timestamp.intTime,
      timestamp.floatTime,
      timestamp.timestamp
    ];
    exports.schema = schema;
  }
});

// node_modules/yaml/dist/schema/tags.js
var require_tags = __commonJS({
  "node_modules/yaml/dist/schema/tags.js"(exports) {
    "use strict";
    var map = require_map();
    var _null = require_null();
    var seq = require_seq();
    var string = require_string();
    var bool = require_bool();
    var float = require_float();
    var int = require_int();
    var schema = require_schema();
    var schema$1 = require_schema2();
    var binary = require_binary();
    var merge = require_merge();
    var omap = require_omap();
    var pairs = require_pairs();
    var schema$2 = require_schema3();
    var set = require_set();
    var timestamp = require_timestamp();
    var schemas = /* @__PURE__ */ new Map([
      ["core", schema.schema],
      ["failsafe", [map.map, seq.seq, string.string]],
      ["json", schema$1.schema],
      ["yaml11", schema$2.schema],
      ["yaml-1.1", schema$2.schema]
    ]);
    var tagsByName = {
      binary: binary.binary,
      bool: bool.boolTag,
      float: float.float,
      floatExp: float.floatExp,
      floatNaN: float.floatNaN,
      floatTime: timestamp.floatTime,
      int: int.int,
      intHex: int.intHex,
      intOct: int.intOct,
      intTime: timestamp.intTime,
      map: map.map,
      merge: merge.merge,
      null: _null.nullTag,
      omap: omap.omap,
      pairs: pairs.pairs,
      seq: seq.seq,
      set: set.set,
      timestamp: timestamp.timestamp
    };
    var coreKnownTags = {
      "tag:yaml.org,2002:binary": binary.binary,
      "tag:yaml.org,2002:merge": merge.merge,
      "tag:yaml.org,2002:omap": omap.omap,
      "tag:yaml.org,2002:pairs": pairs.pairs,
      "tag:yaml.org,2002:set": set.set,
      "tag:yaml.org,2002:timestamp": timestamp.timestamp
    };
    function getTags(customTags, schemaName, addMergeTag) {
      const schemaTags = schemas.get(schemaName);
      if (schemaTags && !customTags) {
        return addMergeTag && !schemaTags.includes(merge.merge) ? schemaTags.concat(merge.merge) : schemaTags.slice();
      }
      let tags = schemaTags;
      if (!tags) {
        if (Array.isArray(customTags))
          tags = [];
        else {
          const keys = Array.from(schemas.keys()).filter((key) => key !== "yaml11").map((key) => JSON.stringify(key)).join(", ");
          throw new Error(`Unknown schema "${schemaName}"; use one of ${keys} or define customTags array`);
        }
      }
      if (Array.isArray(customTags)) {
        for (const tag of customTags)
          tags = tags.concat(tag);
      } else if (typeof customTags === "function") {
        tags = customTags(tags.slice());
      }
      if (addMergeTag)
        tags = tags.concat(merge.merge);
      return tags.reduce((tags2, tag) => {
        const tagObj = typeof tag === "string" ? tagsByName[tag] : tag;
        if (!tagObj) {
          const tagName = JSON.stringify(tag);
          const keys = Object.keys(tagsByName).map((key) => JSON.stringify(key)).join(", ");
          throw new Error(`Unknown custom tag ${tagName}; use one of ${keys}`);
        }
        if (!tags2.includes(tagObj))
          tags2.push(tagObj);
        return tags2;
      }, []);
    }
    exports.coreKnownTags = coreKnownTags;
    exports.getTags = getTags;
  }
});

// node_modules/yaml/dist/schema/Schema.js
var require_Schema = __commonJS({
  "node_modules/yaml/dist/schema/Schema.js"(exports) {
    "use strict";
    var identity = require_identity();
    var map = require_map();
    var seq = require_seq();
    var string = require_string();
    var tags = require_tags();
    var sortMapEntriesByKey = (a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    var Schema = class _Schema {
      constructor({ compat, customTags, merge, resolveKnownTags, schema, sortMapEntries, toStringDefaults }) {
        this.compat = Array.isArray(compat) ? tags.getTags(compat, "compat") : compat ? tags.getTags(null, compat) : null;
        this.name = typeof schema === "string" && schema || "core";
        this.knownTags = resolveKnownTags ? tags.coreKnownTags : {};
        this.tags = tags.getTags(customTags, this.name, merge);
        this.toStringOptions = toStringDefaults ?? null;
        Object.defineProperty(this, identity.MAP, { value: map.map });
        Object.defineProperty(this, identity.SCALAR, { value: string.string });
        Object.defineProperty(this, identity.SEQ, { value: seq.seq });
        this.sortMapEntries = typeof sortMapEntries === "function" ? sortMapEntries : sortMapEntries === true ? sortMapEntriesByKey : null;
      }
      clone() {
        const copy = Object.create(_Schema.prototype, Object.getOwnPropertyDescriptors(this));
        copy.tags = this.tags.slice();
        return copy;
      }
    };
    exports.Schema = Schema;
  }
});

// node_modules/yaml/dist/stringify/stringifyDocument.js
var require_stringifyDocument = __commonJS({
  "node_modules/yaml/dist/stringify/stringifyDocument.js"(exports) {
    "use strict";
    var identity = require_identity();
    var stringify = require_stringify();
    var stringifyComment = require_stringifyComment();
    function stringifyDocument(doc, options) {
      const lines = [];
      let hasDirectives = options.directives === true;
      if (options.directives !== false && doc.directives) {
        const dir = doc.directives.toString(doc);
        if (dir) {
          lines.push(dir);
          hasDirectives = true;
        } else if (doc.directives.docStart)
          hasDirectives = true;
      }
      if (hasDirectives)
        lines.push("---");
      const ctx = stringify.createStringifyContext(doc, options);
      const { commentString } = ctx.options;
      if (doc.commentBefore) {
        if (lines.length !== 1)
          lines.unshift("");
        const cs = commentString(doc.commentBefore);
        lines.unshift(stringifyComment.indentComment(cs, ""));
      }
      let chompKeep = false;
      let contentComment = null;
      if (doc.contents) {
        if (identity.isNode(doc.contents)) {
          if (doc.contents.spaceBefore && hasDirectives)
            lines.push("");
          if (doc.contents.commentBefore) {
            const cs = commentString(doc.contents.commentBefore);
            lines.push(stringifyComment.indentComment(cs, ""));
          }
          ctx.forceBlockIndent = !!doc.comment;
          contentComment = doc.contents.comment;
        }
        const onChompKeep = contentComment ? void 0 : () => chompKeep = true;
        let body = stringify.stringify(doc.contents, ctx, () => contentComment = null, onChompKeep);
        if (contentComment)
          body += stringifyComment.lineComment(body, "", commentString(contentComment));
        if ((body[0] === "|" || body[0] === ">") && lines[lines.length - 1] === "---") {
          lines[lines.length - 1] = `--- ${body}`;
        } else
          lines.push(body);
      } else {
        lines.push(stringify.stringify(doc.contents, ctx));
      }
      if (doc.directives?.docEnd) {
        if (doc.comment) {
          const cs = commentString(doc.comment);
          if (cs.includes("\n")) {
            lines.push("...");
            lines.push(stringifyComment.indentComment(cs, ""));
          } else {
            lines.push(`... ${cs}`);
          }
        } else {
          lines.push("...");
        }
      } else {
        let dc = doc.comment;
        if (dc && chompKeep)
          dc = dc.replace(/^\n+/, "");
        if (dc) {
          if ((!chompKeep || contentComment) && lines[lines.length - 1] !== "")
            lines.push("");
          lines.push(stringifyComment.indentComment(commentString(dc), ""));
        }
      }
      return lines.join("\n") + "\n";
    }
    exports.stringifyDocument = stringifyDocument;
  }
});

// node_modules/yaml/dist/doc/Document.js
var require_Document = __commonJS({
  "node_modules/yaml/dist/doc/Document.js"(exports) {
    "use strict";
    var Alias = require_Alias();
    var Collection = require_Collection();
    var identity = require_identity();
    var Pair = require_Pair();
    var toJS = require_toJS();
    var Schema = require_Schema();
    var stringifyDocument = require_stringifyDocument();
    var anchors = require_anchors();
    var applyReviver = require_applyReviver();
    var createNode = require_createNode();
    var directives = require_directives();
    var Document = class _Document {
      constructor(value, replacer, options) {
        this.commentBefore = null;
        this.comment = null;
        this.errors = [];
        this.warnings = [];
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.DOC });
        let _replacer = null;
        if (typeof replacer === "function" || Array.isArray(replacer)) {
          _replacer = replacer;
        } else if (options === void 0 && replacer) {
          options = replacer;
          replacer = void 0;
        }
        const opt = Object.assign({
          intAsBigInt: false,
          keepSourceTokens: false,
          logLevel: "warn",
          prettyErrors: true,
          strict: true,
          stringKeys: false,
          uniqueKeys: true,
          version: "1.2"
        }, options);
        this.options = opt;
        let { version } = opt;
        if (options?._directives) {
          this.directives = options._directives.atDocument();
          if (this.directives.yaml.explicit)
            version = this.directives.yaml.version;
        } else
          this.directives = new directives.Directives({ version });
        this.setSchema(version, options);
        this.contents = value === void 0 ? null : this.createNode(value, _replacer, options);
      }
      /**
       * Create a deep copy of this Document and its contents.
       *
       * Custom Node values that inherit from `Object` still refer to their original instances.
       */
      clone() {
        const copy = Object.create(_Document.prototype, {
          [identity.NODE_TYPE]: { value: identity.DOC }
        });
        copy.commentBefore = this.commentBefore;
        copy.comment = this.comment;
        copy.errors = this.errors.slice();
        copy.warnings = this.warnings.slice();
        copy.options = Object.assign({}, this.options);
        if (this.directives)
          copy.directives = this.directives.clone();
        copy.schema = this.schema.clone();
        copy.contents = identity.isNode(this.contents) ? this.contents.clone(copy.schema) : this.contents;
        if (this.range)
          copy.range = this.range.slice();
        return copy;
      }
      /** Adds a value to the document. */
      add(value) {
        if (assertCollection(this.contents))
          this.contents.add(value);
      }
      /** Adds a value to the document. */
      addIn(path2, value) {
        if (assertCollection(this.contents))
          this.contents.addIn(path2, value);
      }
      /**
       * Create a new `Alias` node, ensuring that the target `node` has the required anchor.
       *
       * If `node` already has an anchor, `name` is ignored.
       * Otherwise, the `node.anchor` value will be set to `name`,
       * or if an anchor with that name is already present in the document,
       * `name` will be used as a prefix for a new unique anchor.
       * If `name` is undefined, the generated anchor will use 'a' as a prefix.
       */
      createAlias(node, name) {
        if (!node.anchor) {
          const prev = anchors.anchorNames(this);
          node.anchor = // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
          !name || prev.has(name) ? anchors.findNewAnchor(name || "a", prev) : name;
        }
        return new Alias.Alias(node.anchor);
      }
      createNode(value, replacer, options) {
        let _replacer = void 0;
        if (typeof replacer === "function") {
          value = replacer.call({ "": value }, "", value);
          _replacer = replacer;
        } else if (Array.isArray(replacer)) {
          const keyToStr = (v) => typeof v === "number" || v instanceof String || v instanceof Number;
          const asStr = replacer.filter(keyToStr).map(String);
          if (asStr.length > 0)
            replacer = replacer.concat(asStr);
          _replacer = replacer;
        } else if (options === void 0 && replacer) {
          options = replacer;
          replacer = void 0;
        }
        const { aliasDuplicateObjects, anchorPrefix, flow, keepUndefined, onTagObj, tag } = options ?? {};
        const { onAnchor, setAnchors, sourceObjects } = anchors.createNodeAnchors(
          this,
          // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
          anchorPrefix || "a"
        );
        const ctx = {
          aliasDuplicateObjects: aliasDuplicateObjects ?? true,
          keepUndefined: keepUndefined ?? false,
          onAnchor,
          onTagObj,
          replacer: _replacer,
          schema: this.schema,
          sourceObjects
        };
        const node = createNode.createNode(value, tag, ctx);
        if (flow && identity.isCollection(node))
          node.flow = true;
        setAnchors();
        return node;
      }
      /**
       * Convert a key and a value into a `Pair` using the current schema,
       * recursively wrapping all values as `Scalar` or `Collection` nodes.
       */
      createPair(key, value, options = {}) {
        const k = this.createNode(key, null, options);
        const v = this.createNode(value, null, options);
        return new Pair.Pair(k, v);
      }
      /**
       * Removes a value from the document.
       * @returns `true` if the item was found and removed.
       */
      delete(key) {
        return assertCollection(this.contents) ? this.contents.delete(key) : false;
      }
      /**
       * Removes a value from the document.
       * @returns `true` if the item was found and removed.
       */
      deleteIn(path2) {
        if (Collection.isEmptyPath(path2)) {
          if (this.contents == null)
            return false;
          this.contents = null;
          return true;
        }
        return assertCollection(this.contents) ? this.contents.deleteIn(path2) : false;
      }
      /**
       * Returns item at `key`, or `undefined` if not found. By default unwraps
       * scalar values from their surrounding node; to disable set `keepScalar` to
       * `true` (collections are always returned intact).
       */
      get(key, keepScalar) {
        return identity.isCollection(this.contents) ? this.contents.get(key, keepScalar) : void 0;
      }
      /**
       * Returns item at `path`, or `undefined` if not found. By default unwraps
       * scalar values from their surrounding node; to disable set `keepScalar` to
       * `true` (collections are always returned intact).
       */
      getIn(path2, keepScalar) {
        if (Collection.isEmptyPath(path2))
          return !keepScalar && identity.isScalar(this.contents) ? this.contents.value : this.contents;
        return identity.isCollection(this.contents) ? this.contents.getIn(path2, keepScalar) : void 0;
      }
      /**
       * Checks if the document includes a value with the key `key`.
       */
      has(key) {
        return identity.isCollection(this.contents) ? this.contents.has(key) : false;
      }
      /**
       * Checks if the document includes a value at `path`.
       */
      hasIn(path2) {
        if (Collection.isEmptyPath(path2))
          return this.contents !== void 0;
        return identity.isCollection(this.contents) ? this.contents.hasIn(path2) : false;
      }
      /**
       * Sets a value in this document. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       */
      set(key, value) {
        if (this.contents == null) {
          this.contents = Collection.collectionFromPath(this.schema, [key], value);
        } else if (assertCollection(this.contents)) {
          this.contents.set(key, value);
        }
      }
      /**
       * Sets a value in this document. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       */
      setIn(path2, value) {
        if (Collection.isEmptyPath(path2)) {
          this.contents = value;
        } else if (this.contents == null) {
          this.contents = Collection.collectionFromPath(this.schema, Array.from(path2), value);
        } else if (assertCollection(this.contents)) {
          this.contents.setIn(path2, value);
        }
      }
      /**
       * Change the YAML version and schema used by the document.
       * A `null` version disables support for directives, explicit tags, anchors, and aliases.
       * It also requires the `schema` option to be given as a `Schema` instance value.
       *
       * Overrides all previously set schema options.
       */
      setSchema(version, options = {}) {
        if (typeof version === "number")
          version = String(version);
        let opt;
        switch (version) {
          case "1.1":
            if (this.directives)
              this.directives.yaml.version = "1.1";
            else
              this.directives = new directives.Directives({ version: "1.1" });
            opt = { resolveKnownTags: false, schema: "yaml-1.1" };
            break;
          case "1.2":
          case "next":
            if (this.directives)
              this.directives.yaml.version = version;
            else
              this.directives = new directives.Directives({ version });
            opt = { resolveKnownTags: true, schema: "core" };
            break;
          case null:
            if (this.directives)
              delete this.directives;
            opt = null;
            break;
          default: {
            const sv = JSON.stringify(version);
            throw new Error(`Expected '1.1', '1.2' or null as first argument, but found: ${sv}`);
          }
        }
        if (options.schema instanceof Object)
          this.schema = options.schema;
        else if (opt)
          this.schema = new Schema.Schema(Object.assign(opt, options));
        else
          throw new Error(`With a null YAML version, the { schema: Schema } option is required`);
      }
      // json & jsonArg are only used from toJSON()
      toJS({ json, jsonArg, mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        const ctx = {
          anchors: /* @__PURE__ */ new Map(),
          doc: this,
          keep: !json,
          mapAsMap: mapAsMap === true,
          mapKeyWarned: false,
          maxAliasCount: typeof maxAliasCount === "number" ? maxAliasCount : 100
        };
        const res = toJS.toJS(this.contents, jsonArg ?? "", ctx);
        if (typeof onAnchor === "function")
          for (const { count, res: res2 } of ctx.anchors.values())
            onAnchor(res2, count);
        return typeof reviver === "function" ? applyReviver.applyReviver(reviver, { "": res }, "", res) : res;
      }
      /**
       * A JSON representation of the document `contents`.
       *
       * @param jsonArg Used by `JSON.stringify` to indicate the array index or
       *   property name.
       */
      toJSON(jsonArg, onAnchor) {
        return this.toJS({ json: true, jsonArg, mapAsMap: false, onAnchor });
      }
      /** A YAML representation of the document. */
      toString(options = {}) {
        if (this.errors.length > 0)
          throw new Error("Document with errors cannot be stringified");
        if ("indent" in options && (!Number.isInteger(options.indent) || Number(options.indent) <= 0)) {
          const s = JSON.stringify(options.indent);
          throw new Error(`"indent" option must be a positive integer, not ${s}`);
        }
        return stringifyDocument.stringifyDocument(this, options);
      }
    };
    function assertCollection(contents) {
      if (identity.isCollection(contents))
        return true;
      throw new Error("Expected a YAML collection as document contents");
    }
    exports.Document = Document;
  }
});

// node_modules/yaml/dist/errors.js
var require_errors = __commonJS({
  "node_modules/yaml/dist/errors.js"(exports) {
    "use strict";
    var YAMLError = class extends Error {
      constructor(name, pos, code, message) {
        super();
        this.name = name;
        this.code = code;
        this.message = message;
        this.pos = pos;
      }
    };
    var YAMLParseError = class extends YAMLError {
      constructor(pos, code, message) {
        super("YAMLParseError", pos, code, message);
      }
    };
    var YAMLWarning = class extends YAMLError {
      constructor(pos, code, message) {
        super("YAMLWarning", pos, code, message);
      }
    };
    var prettifyError = (src, lc) => (error) => {
      if (error.pos[0] === -1)
        return;
      error.linePos = error.pos.map((pos) => lc.linePos(pos));
      const { line, col } = error.linePos[0];
      error.message += ` at line ${line}, column ${col}`;
      let ci = col - 1;
      let lineStr = src.substring(lc.lineStarts[line - 1], lc.lineStarts[line]).replace(/[\n\r]+$/, "");
      if (ci >= 60 && lineStr.length > 80) {
        const trimStart = Math.min(ci - 39, lineStr.length - 79);
        lineStr = "\u2026" + lineStr.substring(trimStart);
        ci -= trimStart - 1;
      }
      if (lineStr.length > 80)
        lineStr = lineStr.substring(0, 79) + "\u2026";
      if (line > 1 && /^ *$/.test(lineStr.substring(0, ci))) {
        let prev = src.substring(lc.lineStarts[line - 2], lc.lineStarts[line - 1]);
        if (prev.length > 80)
          prev = prev.substring(0, 79) + "\u2026\n";
        lineStr = prev + lineStr;
      }
      if (/[^ ]/.test(lineStr)) {
        let count = 1;
        const end = error.linePos[1];
        if (end?.line === line && end.col > col) {
          count = Math.max(1, Math.min(end.col - col, 80 - ci));
        }
        const pointer = " ".repeat(ci) + "^".repeat(count);
        error.message += `:

${lineStr}
${pointer}
`;
      }
    };
    exports.YAMLError = YAMLError;
    exports.YAMLParseError = YAMLParseError;
    exports.YAMLWarning = YAMLWarning;
    exports.prettifyError = prettifyError;
  }
});

// node_modules/yaml/dist/compose/resolve-props.js
var require_resolve_props = __commonJS({
  "node_modules/yaml/dist/compose/resolve-props.js"(exports) {
    "use strict";
    function resolveProps(tokens, { flow, indicator, next, offset, onError, parentIndent, startOnNewline }) {
      let spaceBefore = false;
      let atNewline = startOnNewline;
      let hasSpace = startOnNewline;
      let comment = "";
      let commentSep = "";
      let hasNewline = false;
      let reqSpace = false;
      let tab = null;
      let anchor = null;
      let tag = null;
      let newlineAfterProp = null;
      let comma = null;
      let found = null;
      let start = null;
      for (const token of tokens) {
        if (reqSpace) {
          if (token.type !== "space" && token.type !== "newline" && token.type !== "comma")
            onError(token.offset, "MISSING_CHAR", "Tags and anchors must be separated from the next token by white space");
          reqSpace = false;
        }
        if (tab) {
          if (atNewline && token.type !== "comment" && token.type !== "newline") {
            onError(tab, "TAB_AS_INDENT", "Tabs are not allowed as indentation");
          }
          tab = null;
        }
        switch (token.type) {
          case "space":
            if (!flow && (indicator !== "doc-start" || next?.type !== "flow-collection") && token.source.includes("	")) {
              tab = token;
            }
            hasSpace = true;
            break;
          case "comment": {
            if (!hasSpace)
              onError(token, "MISSING_CHAR", "Comments must be separated from other tokens by white space characters");
            const cb = token.source.substring(1) || " ";
            if (!comment)
              comment = cb;
            else
              comment += commentSep + cb;
            commentSep = "";
            atNewline = false;
            break;
          }
          case "newline":
            if (atNewline) {
              if (comment)
                comment += token.source;
              else if (!found || indicator !== "seq-item-ind")
                spaceBefore = true;
            } else
              commentSep += token.source;
            atNewline = true;
            hasNewline = true;
            if (anchor || tag)
              newlineAfterProp = token;
            hasSpace = true;
            break;
          case "anchor":
            if (anchor)
              onError(token, "MULTIPLE_ANCHORS", "A node can have at most one anchor");
            if (token.source.endsWith(":"))
              onError(token.offset + token.source.length - 1, "BAD_ALIAS", "Anchor ending in : is ambiguous", true);
            anchor = token;
            start ?? (start = token.offset);
            atNewline = false;
            hasSpace = false;
            reqSpace = true;
            break;
          case "tag": {
            if (tag)
              onError(token, "MULTIPLE_TAGS", "A node can have at most one tag");
            tag = token;
            start ?? (start = token.offset);
            atNewline = false;
            hasSpace = false;
            reqSpace = true;
            break;
          }
          case indicator:
            if (anchor || tag)
              onError(token, "BAD_PROP_ORDER", `Anchors and tags must be after the ${token.source} indicator`);
            if (found)
              onError(token, "UNEXPECTED_TOKEN", `Unexpected ${token.source} in ${flow ?? "collection"}`);
            found = token;
            atNewline = indicator === "seq-item-ind" || indicator === "explicit-key-ind";
            hasSpace = false;
            break;
          case "comma":
            if (flow) {
              if (comma)
                onError(token, "UNEXPECTED_TOKEN", `Unexpected , in ${flow}`);
              comma = token;
              atNewline = false;
              hasSpace = false;
              break;
            }
          // else fallthrough
          default:
            onError(token, "UNEXPECTED_TOKEN", `Unexpected ${token.type} token`);
            atNewline = false;
            hasSpace = false;
        }
      }
      const last = tokens[tokens.length - 1];
      const end = last ? last.offset + last.source.length : offset;
      if (reqSpace && next && next.type !== "space" && next.type !== "newline" && next.type !== "comma" && (next.type !== "scalar" || next.source !== "")) {
        onError(next.offset, "MISSING_CHAR", "Tags and anchors must be separated from the next token by white space");
      }
      if (tab && (atNewline && tab.indent <= parentIndent || next?.type === "block-map" || next?.type === "block-seq"))
        onError(tab, "TAB_AS_INDENT", "Tabs are not allowed as indentation");
      return {
        comma,
        found,
        spaceBefore,
        comment,
        hasNewline,
        anchor,
        tag,
        newlineAfterProp,
        end,
        start: start ?? end
      };
    }
    exports.resolveProps = resolveProps;
  }
});

// node_modules/yaml/dist/compose/util-contains-newline.js
var require_util_contains_newline = __commonJS({
  "node_modules/yaml/dist/compose/util-contains-newline.js"(exports) {
    "use strict";
    function containsNewline(key) {
      if (!key)
        return null;
      switch (key.type) {
        case "alias":
        case "scalar":
        case "double-quoted-scalar":
        case "single-quoted-scalar":
          if (key.source.includes("\n"))
            return true;
          if (key.end) {
            for (const st of key.end)
              if (st.type === "newline")
                return true;
          }
          return false;
        case "flow-collection":
          for (const it of key.items) {
            for (const st of it.start)
              if (st.type === "newline")
                return true;
            if (it.sep) {
              for (const st of it.sep)
                if (st.type === "newline")
                  return true;
            }
            if (containsNewline(it.key) || containsNewline(it.value))
              return true;
          }
          return false;
        default:
          return true;
      }
    }
    exports.containsNewline = containsNewline;
  }
});

// node_modules/yaml/dist/compose/util-flow-indent-check.js
var require_util_flow_indent_check = __commonJS({
  "node_modules/yaml/dist/compose/util-flow-indent-check.js"(exports) {
    "use strict";
    var utilContainsNewline = require_util_contains_newline();
    function flowIndentCheck(indent, fc, onError) {
      if (fc?.type === "flow-collection") {
        const end = fc.end[0];
        if (end.indent === indent && (end.source === "]" || end.source === "}") && utilContainsNewline.containsNewline(fc)) {
          const msg = "Flow end indicator should be more indented than parent";
          onError(end, "BAD_INDENT", msg, true);
        }
      }
    }
    exports.flowIndentCheck = flowIndentCheck;
  }
});

// node_modules/yaml/dist/compose/util-map-includes.js
var require_util_map_includes = __commonJS({
  "node_modules/yaml/dist/compose/util-map-includes.js"(exports) {
    "use strict";
    var identity = require_identity();
    function mapIncludes(ctx, items, search) {
      const { uniqueKeys } = ctx.options;
      if (uniqueKeys === false)
        return false;
      const isEqual = typeof uniqueKeys === "function" ? uniqueKeys : (a, b) => a === b || identity.isScalar(a) && identity.isScalar(b) && a.value === b.value;
      return items.some((pair) => isEqual(pair.key, search));
    }
    exports.mapIncludes = mapIncludes;
  }
});

// node_modules/yaml/dist/compose/resolve-block-map.js
var require_resolve_block_map = __commonJS({
  "node_modules/yaml/dist/compose/resolve-block-map.js"(exports) {
    "use strict";
    var Pair = require_Pair();
    var YAMLMap = require_YAMLMap();
    var resolveProps = require_resolve_props();
    var utilContainsNewline = require_util_contains_newline();
    var utilFlowIndentCheck = require_util_flow_indent_check();
    var utilMapIncludes = require_util_map_includes();
    var startColMsg = "All mapping items must start at the same column";
    function resolveBlockMap({ composeNode, composeEmptyNode }, ctx, bm, onError, tag) {
      const NodeClass = tag?.nodeClass ?? YAMLMap.YAMLMap;
      const map = new NodeClass(ctx.schema);
      if (ctx.atRoot)
        ctx.atRoot = false;
      let offset = bm.offset;
      let commentEnd = null;
      for (const collItem of bm.items) {
        const { start, key, sep, value } = collItem;
        const keyProps = resolveProps.resolveProps(start, {
          indicator: "explicit-key-ind",
          next: key ?? sep?.[0],
          offset,
          onError,
          parentIndent: bm.indent,
          startOnNewline: true
        });
        const implicitKey = !keyProps.found;
        if (implicitKey) {
          if (key) {
            if (key.type === "block-seq")
              onError(offset, "BLOCK_AS_IMPLICIT_KEY", "A block sequence may not be used as an implicit map key");
            else if ("indent" in key && key.indent !== bm.indent)
              onError(offset, "BAD_INDENT", startColMsg);
          }
          if (!keyProps.anchor && !keyProps.tag && !sep) {
            commentEnd = keyProps.end;
            if (keyProps.comment) {
              if (map.comment)
                map.comment += "\n" + keyProps.comment;
              else
                map.comment = keyProps.comment;
            }
            continue;
          }
          if (keyProps.newlineAfterProp || utilContainsNewline.containsNewline(key)) {
            onError(key ?? start[start.length - 1], "MULTILINE_IMPLICIT_KEY", "Implicit keys need to be on a single line");
          }
        } else if (keyProps.found?.indent !== bm.indent) {
          onError(offset, "BAD_INDENT", startColMsg);
        }
        ctx.atKey = true;
        const keyStart = keyProps.end;
        const keyNode = key ? composeNode(ctx, key, keyProps, onError) : composeEmptyNode(ctx, keyStart, start, null, keyProps, onError);
        if (ctx.schema.compat)
          utilFlowIndentCheck.flowIndentCheck(bm.indent, key, onError);
        ctx.atKey = false;
        if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
          onError(keyStart, "DUPLICATE_KEY", "Map keys must be unique");
        const valueProps = resolveProps.resolveProps(sep ?? [], {
          indicator: "map-value-ind",
          next: value,
          offset: keyNode.range[2],
          onError,
          parentIndent: bm.indent,
          startOnNewline: !key || key.type === "block-scalar"
        });
        offset = valueProps.end;
        if (valueProps.found) {
          if (implicitKey) {
            if (value?.type === "block-map" && !valueProps.hasNewline)
              onError(offset, "BLOCK_AS_IMPLICIT_KEY", "Nested mappings are not allowed in compact mappings");
            if (ctx.options.strict && keyProps.start < valueProps.found.offset - 1024)
              onError(keyNode.range, "KEY_OVER_1024_CHARS", "The : indicator must be at most 1024 chars after the start of an implicit block mapping key");
          }
          const valueNode = value ? composeNode(ctx, value, valueProps, onError) : composeEmptyNode(ctx, offset, sep, null, valueProps, onError);
          if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bm.indent, value, onError);
          offset = valueNode.range[2];
          const pair = new Pair.Pair(keyNode, valueNode);
          if (ctx.options.keepSourceTokens)
            pair.srcToken = collItem;
          map.items.push(pair);
        } else {
          if (implicitKey)
            onError(keyNode.range, "MISSING_CHAR", "Implicit map keys need to be followed by map values");
          if (valueProps.comment) {
            if (keyNode.comment)
              keyNode.comment += "\n" + valueProps.comment;
            else
              keyNode.comment = valueProps.comment;
          }
          const pair = new Pair.Pair(keyNode);
          if (ctx.options.keepSourceTokens)
            pair.srcToken = collItem;
          map.items.push(pair);
        }
      }
      if (commentEnd && commentEnd < offset)
        onError(commentEnd, "IMPOSSIBLE", "Map comment with trailing content");
      map.range = [bm.offset, offset, commentEnd ?? offset];
      return map;
    }
    exports.resolveBlockMap = resolveBlockMap;
  }
});

// node_modules/yaml/dist/compose/resolve-block-seq.js
var require_resolve_block_seq = __commonJS({
  "node_modules/yaml/dist/compose/resolve-block-seq.js"(exports) {
    "use strict";
    var YAMLSeq = require_YAMLSeq();
    var resolveProps = require_resolve_props();
    var utilFlowIndentCheck = require_util_flow_indent_check();
    function resolveBlockSeq({ composeNode, composeEmptyNode }, ctx, bs, onError, tag) {
      const NodeClass = tag?.nodeClass ?? YAMLSeq.YAMLSeq;
      const seq = new NodeClass(ctx.schema);
      if (ctx.atRoot)
        ctx.atRoot = false;
      if (ctx.atKey)
        ctx.atKey = false;
      let offset = bs.offset;
      let commentEnd = null;
      for (const { start, value } of bs.items) {
        const props = resolveProps.resolveProps(start, {
          indicator: "seq-item-ind",
          next: value,
          offset,
          onError,
          parentIndent: bs.indent,
          startOnNewline: true
        });
        if (!props.found) {
          if (props.anchor || props.tag || value) {
            if (value?.type === "block-seq")
              onError(props.end, "BAD_INDENT", "All sequence items must start at the same column");
            else
              onError(offset, "MISSING_CHAR", "Sequence item without - indicator");
          } else {
            commentEnd = props.end;
            if (props.comment)
              seq.comment = props.comment;
            continue;
          }
        }
        const node = value ? composeNode(ctx, value, props, onError) : composeEmptyNode(ctx, props.end, start, null, props, onError);
        if (ctx.schema.compat)
          utilFlowIndentCheck.flowIndentCheck(bs.indent, value, onError);
        offset = node.range[2];
        seq.items.push(node);
      }
      seq.range = [bs.offset, offset, commentEnd ?? offset];
      return seq;
    }
    exports.resolveBlockSeq = resolveBlockSeq;
  }
});

// node_modules/yaml/dist/compose/resolve-end.js
var require_resolve_end = __commonJS({
  "node_modules/yaml/dist/compose/resolve-end.js"(exports) {
    "use strict";
    function resolveEnd(end, offset, reqSpace, onError) {
      let comment = "";
      if (end) {
        let hasSpace = false;
        let sep = "";
        for (const token of end) {
          const { source, type } = token;
          switch (type) {
            case "space":
              hasSpace = true;
              break;
            case "comment": {
              if (reqSpace && !hasSpace)
                onError(token, "MISSING_CHAR", "Comments must be separated from other tokens by white space characters");
              const cb = source.substring(1) || " ";
              if (!comment)
                comment = cb;
              else
                comment += sep + cb;
              sep = "";
              break;
            }
            case "newline":
              if (comment)
                sep += source;
              hasSpace = true;
              break;
            default:
              onError(token, "UNEXPECTED_TOKEN", `Unexpected ${type} at node end`);
          }
          offset += source.length;
        }
      }
      return { comment, offset };
    }
    exports.resolveEnd = resolveEnd;
  }
});

// node_modules/yaml/dist/compose/resolve-flow-collection.js
var require_resolve_flow_collection = __commonJS({
  "node_modules/yaml/dist/compose/resolve-flow-collection.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Pair = require_Pair();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var resolveEnd = require_resolve_end();
    var resolveProps = require_resolve_props();
    var utilContainsNewline = require_util_contains_newline();
    var utilMapIncludes = require_util_map_includes();
    var blockMsg = "Block collections are not allowed within flow collections";
    var isBlock = (token) => token && (token.type === "block-map" || token.type === "block-seq");
    function resolveFlowCollection({ composeNode, composeEmptyNode }, ctx, fc, onError, tag) {
      const isMap4 = fc.start.source === "{";
      const fcName = isMap4 ? "flow map" : "flow sequence";
      const NodeClass = tag?.nodeClass ?? (isMap4 ? YAMLMap.YAMLMap : YAMLSeq.YAMLSeq);
      const coll = new NodeClass(ctx.schema);
      coll.flow = true;
      const atRoot = ctx.atRoot;
      if (atRoot)
        ctx.atRoot = false;
      if (ctx.atKey)
        ctx.atKey = false;
      let offset = fc.offset + fc.start.source.length;
      for (let i = 0; i < fc.items.length; ++i) {
        const collItem = fc.items[i];
        const { start, key, sep, value } = collItem;
        const props = resolveProps.resolveProps(start, {
          flow: fcName,
          indicator: "explicit-key-ind",
          next: key ?? sep?.[0],
          offset,
          onError,
          parentIndent: fc.indent,
          startOnNewline: false
        });
        if (!props.found) {
          if (!props.anchor && !props.tag && !sep && !value) {
            if (i === 0 && props.comma)
              onError(props.comma, "UNEXPECTED_TOKEN", `Unexpected , in ${fcName}`);
            else if (i < fc.items.length - 1)
              onError(props.start, "UNEXPECTED_TOKEN", `Unexpected empty item in ${fcName}`);
            if (props.comment) {
              if (coll.comment)
                coll.comment += "\n" + props.comment;
              else
                coll.comment = props.comment;
            }
            offset = props.end;
            continue;
          }
          if (!isMap4 && ctx.options.strict && utilContainsNewline.containsNewline(key))
            onError(
              key,
              // checked by containsNewline()
              "MULTILINE_IMPLICIT_KEY",
              "Implicit keys of flow sequence pairs need to be on a single line"
            );
        }
        if (i === 0) {
          if (props.comma)
            onError(props.comma, "UNEXPECTED_TOKEN", `Unexpected , in ${fcName}`);
        } else {
          if (!props.comma)
            onError(props.start, "MISSING_CHAR", `Missing , between ${fcName} items`);
          if (props.comment) {
            let prevItemComment = "";
            loop: for (const st of start) {
              switch (st.type) {
                case "comma":
                case "space":
                  break;
                case "comment":
                  prevItemComment = st.source.substring(1);
                  break loop;
                default:
                  break loop;
              }
            }
            if (prevItemComment) {
              let prev = coll.items[coll.items.length - 1];
              if (identity.isPair(prev))
                prev = prev.value ?? prev.key;
              if (prev.comment)
                prev.comment += "\n" + prevItemComment;
              else
                prev.comment = prevItemComment;
              props.comment = props.comment.substring(prevItemComment.length + 1);
            }
          }
        }
        if (!isMap4 && !sep && !props.found) {
          const valueNode = value ? composeNode(ctx, value, props, onError) : composeEmptyNode(ctx, props.end, sep, null, props, onError);
          coll.items.push(valueNode);
          offset = valueNode.range[2];
          if (isBlock(value))
            onError(valueNode.range, "BLOCK_IN_FLOW", blockMsg);
        } else {
          ctx.atKey = true;
          const keyStart = props.end;
          const keyNode = key ? composeNode(ctx, key, props, onError) : composeEmptyNode(ctx, keyStart, start, null, props, onError);
          if (isBlock(key))
            onError(keyNode.range, "BLOCK_IN_FLOW", blockMsg);
          ctx.atKey = false;
          const valueProps = resolveProps.resolveProps(sep ?? [], {
            flow: fcName,
            indicator: "map-value-ind",
            next: value,
            offset: keyNode.range[2],
            onError,
            parentIndent: fc.indent,
            startOnNewline: false
          });
          if (valueProps.found) {
            if (!isMap4 && !props.found && ctx.options.strict) {
              if (sep)
                for (const st of sep) {
                  if (st === valueProps.found)
                    break;
                  if (st.type === "newline") {
                    onError(st, "MULTILINE_IMPLICIT_KEY", "Implicit keys of flow sequence pairs need to be on a single line");
                    break;
                  }
                }
              if (props.start < valueProps.found.offset - 1024)
                onError(valueProps.found, "KEY_OVER_1024_CHARS", "The : indicator must be at most 1024 chars after the start of an implicit flow sequence key");
            }
          } else if (value) {
            if ("source" in value && value.source?.[0] === ":")
              onError(value, "MISSING_CHAR", `Missing space after : in ${fcName}`);
            else
              onError(valueProps.start, "MISSING_CHAR", `Missing , or : between ${fcName} items`);
          }
          const valueNode = value ? composeNode(ctx, value, valueProps, onError) : valueProps.found ? composeEmptyNode(ctx, valueProps.end, sep, null, valueProps, onError) : null;
          if (valueNode) {
            if (isBlock(value))
              onError(valueNode.range, "BLOCK_IN_FLOW", blockMsg);
          } else if (valueProps.comment) {
            if (keyNode.comment)
              keyNode.comment += "\n" + valueProps.comment;
            else
              keyNode.comment = valueProps.comment;
          }
          const pair = new Pair.Pair(keyNode, valueNode);
          if (ctx.options.keepSourceTokens)
            pair.srcToken = collItem;
          if (isMap4) {
            const map = coll;
            if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
              onError(keyStart, "DUPLICATE_KEY", "Map keys must be unique");
            map.items.push(pair);
          } else {
            const map = new YAMLMap.YAMLMap(ctx.schema);
            map.flow = true;
            map.items.push(pair);
            const endRange = (valueNode ?? keyNode).range;
            map.range = [keyNode.range[0], endRange[1], endRange[2]];
            coll.items.push(map);
          }
          offset = valueNode ? valueNode.range[2] : valueProps.end;
        }
      }
      const expectedEnd = isMap4 ? "}" : "]";
      const [ce, ...ee] = fc.end;
      let cePos = offset;
      if (ce?.source === expectedEnd)
        cePos = ce.offset + ce.source.length;
      else {
        const name = fcName[0].toUpperCase() + fcName.substring(1);
        const msg = atRoot ? `${name} must end with a ${expectedEnd}` : `${name} in block collection must be sufficiently indented and end with a ${expectedEnd}`;
        onError(offset, atRoot ? "MISSING_CHAR" : "BAD_INDENT", msg);
        if (ce && ce.source.length !== 1)
          ee.unshift(ce);
      }
      if (ee.length > 0) {
        const end = resolveEnd.resolveEnd(ee, cePos, ctx.options.strict, onError);
        if (end.comment) {
          if (coll.comment)
            coll.comment += "\n" + end.comment;
          else
            coll.comment = end.comment;
        }
        coll.range = [fc.offset, cePos, end.offset];
      } else {
        coll.range = [fc.offset, cePos, cePos];
      }
      return coll;
    }
    exports.resolveFlowCollection = resolveFlowCollection;
  }
});

// node_modules/yaml/dist/compose/compose-collection.js
var require_compose_collection = __commonJS({
  "node_modules/yaml/dist/compose/compose-collection.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var resolveBlockMap = require_resolve_block_map();
    var resolveBlockSeq = require_resolve_block_seq();
    var resolveFlowCollection = require_resolve_flow_collection();
    function resolveCollection(CN, ctx, token, onError, tagName, tag) {
      const coll = token.type === "block-map" ? resolveBlockMap.resolveBlockMap(CN, ctx, token, onError, tag) : token.type === "block-seq" ? resolveBlockSeq.resolveBlockSeq(CN, ctx, token, onError, tag) : resolveFlowCollection.resolveFlowCollection(CN, ctx, token, onError, tag);
      const Coll = coll.constructor;
      if (tagName === "!" || tagName === Coll.tagName) {
        coll.tag = Coll.tagName;
        return coll;
      }
      if (tagName)
        coll.tag = tagName;
      return coll;
    }
    function composeCollection(CN, ctx, token, props, onError) {
      const tagToken = props.tag;
      const tagName = !tagToken ? null : ctx.directives.tagName(tagToken.source, (msg) => onError(tagToken, "TAG_RESOLVE_FAILED", msg));
      if (token.type === "block-seq") {
        const { anchor, newlineAfterProp: nl } = props;
        const lastProp = anchor && tagToken ? anchor.offset > tagToken.offset ? anchor : tagToken : anchor ?? tagToken;
        if (lastProp && (!nl || nl.offset < lastProp.offset)) {
          const message = "Missing newline after block sequence props";
          onError(lastProp, "MISSING_CHAR", message);
        }
      }
      const expType = token.type === "block-map" ? "map" : token.type === "block-seq" ? "seq" : token.start.source === "{" ? "map" : "seq";
      if (!tagToken || !tagName || tagName === "!" || tagName === YAMLMap.YAMLMap.tagName && expType === "map" || tagName === YAMLSeq.YAMLSeq.tagName && expType === "seq") {
        return resolveCollection(CN, ctx, token, onError, tagName);
      }
      let tag = ctx.schema.tags.find((t) => t.tag === tagName && t.collection === expType);
      if (!tag) {
        const kt = ctx.schema.knownTags[tagName];
        if (kt?.collection === expType) {
          ctx.schema.tags.push(Object.assign({}, kt, { default: false }));
          tag = kt;
        } else {
          if (kt) {
            onError(tagToken, "BAD_COLLECTION_TYPE", `${kt.tag} used for ${expType} collection, but expects ${kt.collection ?? "scalar"}`, true);
          } else {
            onError(tagToken, "TAG_RESOLVE_FAILED", `Unresolved tag: ${tagName}`, true);
          }
          return resolveCollection(CN, ctx, token, onError, tagName);
        }
      }
      const coll = resolveCollection(CN, ctx, token, onError, tagName, tag);
      const res = tag.resolve?.(coll, (msg) => onError(tagToken, "TAG_RESOLVE_FAILED", msg), ctx.options) ?? coll;
      const node = identity.isNode(res) ? res : new Scalar.Scalar(res);
      node.range = coll.range;
      node.tag = tagName;
      if (tag?.format)
        node.format = tag.format;
      return node;
    }
    exports.composeCollection = composeCollection;
  }
});

// node_modules/yaml/dist/compose/resolve-block-scalar.js
var require_resolve_block_scalar = __commonJS({
  "node_modules/yaml/dist/compose/resolve-block-scalar.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    function resolveBlockScalar(ctx, scalar, onError) {
      const start = scalar.offset;
      const header = parseBlockScalarHeader(scalar, ctx.options.strict, onError);
      if (!header)
        return { value: "", type: null, comment: "", range: [start, start, start] };
      const type = header.mode === ">" ? Scalar.Scalar.BLOCK_FOLDED : Scalar.Scalar.BLOCK_LITERAL;
      const lines = scalar.source ? splitLines(scalar.source) : [];
      let chompStart = lines.length;
      for (let i = lines.length - 1; i >= 0; --i) {
        const content = lines[i][1];
        if (content === "" || content === "\r")
          chompStart = i;
        else
          break;
      }
      if (chompStart === 0) {
        const value2 = header.chomp === "+" && lines.length > 0 ? "\n".repeat(Math.max(1, lines.length - 1)) : "";
        let end2 = start + header.length;
        if (scalar.source)
          end2 += scalar.source.length;
        return { value: value2, type, comment: header.comment, range: [start, end2, end2] };
      }
      let trimIndent = scalar.indent + header.indent;
      let offset = scalar.offset + header.length;
      let contentStart = 0;
      for (let i = 0; i < chompStart; ++i) {
        const [indent, content] = lines[i];
        if (content === "" || content === "\r") {
          if (header.indent === 0 && indent.length > trimIndent)
            trimIndent = indent.length;
        } else {
          if (indent.length < trimIndent) {
            const message = "Block scalars with more-indented leading empty lines must use an explicit indentation indicator";
            onError(offset + indent.length, "MISSING_CHAR", message);
          }
          if (header.indent === 0)
            trimIndent = indent.length;
          contentStart = i;
          if (trimIndent === 0 && !ctx.atRoot) {
            const message = "Block scalar values in collections must be indented";
            onError(offset, "BAD_INDENT", message);
          }
          break;
        }
        offset += indent.length + content.length + 1;
      }
      for (let i = lines.length - 1; i >= chompStart; --i) {
        if (lines[i][0].length > trimIndent)
          chompStart = i + 1;
      }
      let value = "";
      let sep = "";
      let prevMoreIndented = false;
      for (let i = 0; i < contentStart; ++i)
        value += lines[i][0].slice(trimIndent) + "\n";
      for (let i = contentStart; i < chompStart; ++i) {
        let [indent, content] = lines[i];
        offset += indent.length + content.length + 1;
        const crlf = content[content.length - 1] === "\r";
        if (crlf)
          content = content.slice(0, -1);
        if (content && indent.length < trimIndent) {
          const src = header.indent ? "explicit indentation indicator" : "first line";
          const message = `Block scalar lines must not be less indented than their ${src}`;
          onError(offset - content.length - (crlf ? 2 : 1), "BAD_INDENT", message);
          indent = "";
        }
        if (type === Scalar.Scalar.BLOCK_LITERAL) {
          value += sep + indent.slice(trimIndent) + content;
          sep = "\n";
        } else if (indent.length > trimIndent || content[0] === "	") {
          if (sep === " ")
            sep = "\n";
          else if (!prevMoreIndented && sep === "\n")
            sep = "\n\n";
          value += sep + indent.slice(trimIndent) + content;
          sep = "\n";
          prevMoreIndented = true;
        } else if (content === "") {
          if (sep === "\n")
            value += "\n";
          else
            sep = "\n";
        } else {
          value += sep + content;
          sep = " ";
          prevMoreIndented = false;
        }
      }
      switch (header.chomp) {
        case "-":
          break;
        case "+":
          for (let i = chompStart; i < lines.length; ++i)
            value += "\n" + lines[i][0].slice(trimIndent);
          if (value[value.length - 1] !== "\n")
            value += "\n";
          break;
        default:
          value += "\n";
      }
      const end = start + header.length + scalar.source.length;
      return { value, type, comment: header.comment, range: [start, end, end] };
    }
    function parseBlockScalarHeader({ offset, props }, strict, onError) {
      if (props[0].type !== "block-scalar-header") {
        onError(props[0], "IMPOSSIBLE", "Block scalar header not found");
        return null;
      }
      const { source } = props[0];
      const mode = source[0];
      let indent = 0;
      let chomp = "";
      let error = -1;
      for (let i = 1; i < source.length; ++i) {
        const ch = source[i];
        if (!chomp && (ch === "-" || ch === "+"))
          chomp = ch;
        else {
          const n = Number(ch);
          if (!indent && n)
            indent = n;
          else if (error === -1)
            error = offset + i;
        }
      }
      if (error !== -1)
        onError(error, "UNEXPECTED_TOKEN", `Block scalar header includes extra characters: ${source}`);
      let hasSpace = false;
      let comment = "";
      let length = source.length;
      for (let i = 1; i < props.length; ++i) {
        const token = props[i];
        switch (token.type) {
          case "space":
            hasSpace = true;
          // fallthrough
          case "newline":
            length += token.source.length;
            break;
          case "comment":
            if (strict && !hasSpace) {
              const message = "Comments must be separated from other tokens by white space characters";
              onError(token, "MISSING_CHAR", message);
            }
            length += token.source.length;
            comment = token.source.substring(1);
            break;
          case "error":
            onError(token, "UNEXPECTED_TOKEN", token.message);
            length += token.source.length;
            break;
          /* istanbul ignore next should not happen */
          default: {
            const message = `Unexpected token in block scalar header: ${token.type}`;
            onError(token, "UNEXPECTED_TOKEN", message);
            const ts = token.source;
            if (ts && typeof ts === "string")
              length += ts.length;
          }
        }
      }
      return { mode, indent, chomp, comment, length };
    }
    function splitLines(source) {
      const split = source.split(/\n( *)/);
      const first = split[0];
      const m = first.match(/^( *)/);
      const line0 = m?.[1] ? [m[1], first.slice(m[1].length)] : ["", first];
      const lines = [line0];
      for (let i = 1; i < split.length; i += 2)
        lines.push([split[i], split[i + 1]]);
      return lines;
    }
    exports.resolveBlockScalar = resolveBlockScalar;
  }
});

// node_modules/yaml/dist/compose/resolve-flow-scalar.js
var require_resolve_flow_scalar = __commonJS({
  "node_modules/yaml/dist/compose/resolve-flow-scalar.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var resolveEnd = require_resolve_end();
    function resolveFlowScalar(scalar, strict, onError) {
      const { offset, type, source, end } = scalar;
      let _type;
      let value;
      const _onError = (rel, code, msg) => onError(offset + rel, code, msg);
      switch (type) {
        case "scalar":
          _type = Scalar.Scalar.PLAIN;
          value = plainValue(source, _onError);
          break;
        case "single-quoted-scalar":
          _type = Scalar.Scalar.QUOTE_SINGLE;
          value = singleQuotedValue(source, _onError);
          break;
        case "double-quoted-scalar":
          _type = Scalar.Scalar.QUOTE_DOUBLE;
          value = doubleQuotedValue(source, _onError);
          break;
        /* istanbul ignore next should not happen */
        default:
          onError(scalar, "UNEXPECTED_TOKEN", `Expected a flow scalar value, but found: ${type}`);
          return {
            value: "",
            type: null,
            comment: "",
            range: [offset, offset + source.length, offset + source.length]
          };
      }
      const valueEnd = offset + source.length;
      const re = resolveEnd.resolveEnd(end, valueEnd, strict, onError);
      return {
        value,
        type: _type,
        comment: re.comment,
        range: [offset, valueEnd, re.offset]
      };
    }
    function plainValue(source, onError) {
      let badChar = "";
      switch (source[0]) {
        /* istanbul ignore next should not happen */
        case "	":
          badChar = "a tab character";
          break;
        case ",":
          badChar = "flow indicator character ,";
          break;
        case "%":
          badChar = "directive indicator character %";
          break;
        case "|":
        case ">": {
          badChar = `block scalar indicator ${source[0]}`;
          break;
        }
        case "@":
        case "`": {
          badChar = `reserved character ${source[0]}`;
          break;
        }
      }
      if (badChar)
        onError(0, "BAD_SCALAR_START", `Plain value cannot start with ${badChar}`);
      return unfoldLines(source);
    }
    function singleQuotedValue(source, onError) {
      if (source[source.length - 1] !== "'" || source.length === 1)
        onError(source.length, "MISSING_CHAR", "Missing closing 'quote");
      return unfoldLines(source.slice(1, -1)).replace(/''/g, "'");
    }
    function unfoldLines(source) {
      const line = /(.*?)\r?\n/sy;
      let match = line.exec(source);
      if (!match)
        return source;
      let trimEnd, trimBoth;
      try {
        trimEnd = new RegExp("(?<![ 	])[ 	]+$");
        trimBoth = new RegExp("^[ 	]+|(?<![ 	])[ 	]+$", "g");
      } catch {
        trimEnd = /[ \t]+$/;
        trimBoth = /^[ \t]+|[ \t]+$/g;
      }
      let res = match[1].replace(trimEnd, "");
      let sep = " ";
      let pos = line.lastIndex;
      while (match = line.exec(source)) {
        const lm = match[1].replace(trimBoth, "");
        if (lm === "") {
          if (sep === "\n")
            res += sep;
          else
            sep = "\n";
        } else {
          res += sep + lm;
          sep = " ";
        }
        pos = line.lastIndex;
      }
      const last = /[ \t]*(.*)/sy;
      last.lastIndex = pos;
      match = last.exec(source);
      return res + sep + (match?.[1] ?? "");
    }
    function doubleQuotedValue(source, onError) {
      let res = "";
      for (let i = 1; i < source.length - 1; ++i) {
        const ch = source[i];
        if (ch === "\r" && source[i + 1] === "\n")
          continue;
        if (ch === "\n") {
          const { fold, offset } = foldNewline(source, i);
          res += fold;
          i = offset;
        } else if (ch === "\\") {
          let next = source[++i];
          const cc = escapeCodes[next];
          if (cc)
            res += cc;
          else if (next === "\n") {
            next = source[i + 1];
            while (next === " " || next === "	")
              next = source[++i + 1];
          } else if (next === "\r" && source[i + 1] === "\n") {
            next = source[++i + 1];
            while (next === " " || next === "	")
              next = source[++i + 1];
          } else if (next === "x" || next === "u" || next === "U") {
            const length = next === "x" ? 2 : next === "u" ? 4 : 8;
            res += parseCharCode(source, i + 1, length, onError);
            i += length;
          } else {
            const raw = source.substr(i - 1, 2);
            onError(i - 1, "BAD_DQ_ESCAPE", `Invalid escape sequence ${raw}`);
            res += raw;
          }
        } else if (ch === " " || ch === "	") {
          const wsStart = i;
          let next = source[i + 1];
          while (next === " " || next === "	")
            next = source[++i + 1];
          if (next !== "\n" && !(next === "\r" && source[i + 2] === "\n"))
            res += i > wsStart ? source.slice(wsStart, i + 1) : ch;
        } else {
          res += ch;
        }
      }
      if (source[source.length - 1] !== '"' || source.length === 1)
        onError(source.length, "MISSING_CHAR", 'Missing closing "quote');
      return res;
    }
    function foldNewline(source, offset) {
      let fold = "";
      let ch = source[offset + 1];
      while (ch === " " || ch === "	" || ch === "\n" || ch === "\r") {
        if (ch === "\r" && source[offset + 2] !== "\n")
          break;
        if (ch === "\n")
          fold += "\n";
        offset += 1;
        ch = source[offset + 1];
      }
      if (!fold)
        fold = " ";
      return { fold, offset };
    }
    var escapeCodes = {
      "0": "\0",
      // null character
      a: "\x07",
      // bell character
      b: "\b",
      // backspace
      e: "\x1B",
      // escape character
      f: "\f",
      // form feed
      n: "\n",
      // line feed
      r: "\r",
      // carriage return
      t: "	",
      // horizontal tab
      v: "\v",
      // vertical tab
      N: "\x85",
      // Unicode next line
      _: "\xA0",
      // Unicode non-breaking space
      L: "\u2028",
      // Unicode line separator
      P: "\u2029",
      // Unicode paragraph separator
      " ": " ",
      '"': '"',
      "/": "/",
      "\\": "\\",
      "	": "	"
    };
    function parseCharCode(source, offset, length, onError) {
      const cc = source.substr(offset, length);
      const ok = cc.length === length && /^[0-9a-fA-F]+$/.test(cc);
      const code = ok ? parseInt(cc, 16) : NaN;
      try {
        return String.fromCodePoint(code);
      } catch {
        const raw = source.substr(offset - 2, length + 2);
        onError(offset - 2, "BAD_DQ_ESCAPE", `Invalid escape sequence ${raw}`);
        return raw;
      }
    }
    exports.resolveFlowScalar = resolveFlowScalar;
  }
});

// node_modules/yaml/dist/compose/compose-scalar.js
var require_compose_scalar = __commonJS({
  "node_modules/yaml/dist/compose/compose-scalar.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var resolveBlockScalar = require_resolve_block_scalar();
    var resolveFlowScalar = require_resolve_flow_scalar();
    function composeScalar(ctx, token, tagToken, onError) {
      const { value, type, comment, range } = token.type === "block-scalar" ? resolveBlockScalar.resolveBlockScalar(ctx, token, onError) : resolveFlowScalar.resolveFlowScalar(token, ctx.options.strict, onError);
      const tagName = tagToken ? ctx.directives.tagName(tagToken.source, (msg) => onError(tagToken, "TAG_RESOLVE_FAILED", msg)) : null;
      let tag;
      if (ctx.options.stringKeys && ctx.atKey) {
        tag = ctx.schema[identity.SCALAR];
      } else if (tagName)
        tag = findScalarTagByName(ctx.schema, value, tagName, tagToken, onError);
      else if (token.type === "scalar")
        tag = findScalarTagByTest(ctx, value, token, onError);
      else
        tag = ctx.schema[identity.SCALAR];
      let scalar;
      try {
        const res = tag.resolve(value, (msg) => onError(tagToken ?? token, "TAG_RESOLVE_FAILED", msg), ctx.options);
        scalar = identity.isScalar(res) ? res : new Scalar.Scalar(res);
      } catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        onError(tagToken ?? token, "TAG_RESOLVE_FAILED", msg);
        scalar = new Scalar.Scalar(value);
      }
      scalar.range = range;
      scalar.source = value;
      if (type)
        scalar.type = type;
      if (tagName)
        scalar.tag = tagName;
      if (tag.format)
        scalar.format = tag.format;
      if (comment)
        scalar.comment = comment;
      return scalar;
    }
    function findScalarTagByName(schema, value, tagName, tagToken, onError) {
      if (tagName === "!")
        return schema[identity.SCALAR];
      const matchWithTest = [];
      for (const tag of schema.tags) {
        if (!tag.collection && tag.tag === tagName) {
          if (tag.default && tag.test)
            matchWithTest.push(tag);
          else
            return tag;
        }
      }
      for (const tag of matchWithTest)
        if (tag.test?.test(value))
          return tag;
      const kt = schema.knownTags[tagName];
      if (kt && !kt.collection) {
        schema.tags.push(Object.assign({}, kt, { default: false, test: void 0 }));
        return kt;
      }
      onError(tagToken, "TAG_RESOLVE_FAILED", `Unresolved tag: ${tagName}`, tagName !== "tag:yaml.org,2002:str");
      return schema[identity.SCALAR];
    }
    function findScalarTagByTest({ atKey, directives, schema }, value, token, onError) {
      const tag = schema.tags.find((tag2) => (tag2.default === true || atKey && tag2.default === "key") && tag2.test?.test(value)) || schema[identity.SCALAR];
      if (schema.compat) {
        const compat = schema.compat.find((tag2) => tag2.default && tag2.test?.test(value)) ?? schema[identity.SCALAR];
        if (tag.tag !== compat.tag) {
          const ts = directives.tagString(tag.tag);
          const cs = directives.tagString(compat.tag);
          const msg = `Value may be parsed as either ${ts} or ${cs}`;
          onError(token, "TAG_RESOLVE_FAILED", msg, true);
        }
      }
      return tag;
    }
    exports.composeScalar = composeScalar;
  }
});

// node_modules/yaml/dist/compose/util-empty-scalar-position.js
var require_util_empty_scalar_position = __commonJS({
  "node_modules/yaml/dist/compose/util-empty-scalar-position.js"(exports) {
    "use strict";
    function emptyScalarPosition(offset, before, pos) {
      if (before) {
        pos ?? (pos = before.length);
        for (let i = pos - 1; i >= 0; --i) {
          let st = before[i];
          switch (st.type) {
            case "space":
            case "comment":
            case "newline":
              offset -= st.source.length;
              continue;
          }
          st = before[++i];
          while (st?.type === "space") {
            offset += st.source.length;
            st = before[++i];
          }
          break;
        }
      }
      return offset;
    }
    exports.emptyScalarPosition = emptyScalarPosition;
  }
});

// node_modules/yaml/dist/compose/compose-node.js
var require_compose_node = __commonJS({
  "node_modules/yaml/dist/compose/compose-node.js"(exports) {
    "use strict";
    var Alias = require_Alias();
    var identity = require_identity();
    var composeCollection = require_compose_collection();
    var composeScalar = require_compose_scalar();
    var resolveEnd = require_resolve_end();
    var utilEmptyScalarPosition = require_util_empty_scalar_position();
    var CN = { composeNode, composeEmptyNode };
    function composeNode(ctx, token, props, onError) {
      const atKey = ctx.atKey;
      const { spaceBefore, comment, anchor, tag } = props;
      let node;
      let isSrcToken = true;
      switch (token.type) {
        case "alias":
          node = composeAlias(ctx, token, onError);
          if (anchor || tag)
            onError(token, "ALIAS_PROPS", "An alias node must not specify any properties");
          break;
        case "scalar":
        case "single-quoted-scalar":
        case "double-quoted-scalar":
        case "block-scalar":
          node = composeScalar.composeScalar(ctx, token, tag, onError);
          if (anchor)
            node.anchor = anchor.source.substring(1);
          break;
        case "block-map":
        case "block-seq":
        case "flow-collection":
          try {
            node = composeCollection.composeCollection(CN, ctx, token, props, onError);
            if (anchor)
              node.anchor = anchor.source.substring(1);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            onError(token, "RESOURCE_EXHAUSTION", message);
          }
          break;
        default: {
          const message = token.type === "error" ? token.message : `Unsupported token (type: ${token.type})`;
          onError(token, "UNEXPECTED_TOKEN", message);
          isSrcToken = false;
        }
      }
      node ?? (node = composeEmptyNode(ctx, token.offset, void 0, null, props, onError));
      if (anchor && node.anchor === "")
        onError(anchor, "BAD_ALIAS", "Anchor cannot be an empty string");
      if (atKey && ctx.options.stringKeys && (!identity.isScalar(node) || typeof node.value !== "string" || node.tag && node.tag !== "tag:yaml.org,2002:str")) {
        const msg = "With stringKeys, all keys must be strings";
        onError(tag ?? token, "NON_STRING_KEY", msg);
      }
      if (spaceBefore)
        node.spaceBefore = true;
      if (comment) {
        if (token.type === "scalar" && token.source === "")
          node.comment = comment;
        else
          node.commentBefore = comment;
      }
      if (ctx.options.keepSourceTokens && isSrcToken)
        node.srcToken = token;
      return node;
    }
    function composeEmptyNode(ctx, offset, before, pos, { spaceBefore, comment, anchor, tag, end }, onError) {
      const token = {
        type: "scalar",
        offset: utilEmptyScalarPosition.emptyScalarPosition(offset, before, pos),
        indent: -1,
        source: ""
      };
      const node = composeScalar.composeScalar(ctx, token, tag, onError);
      if (anchor) {
        node.anchor = anchor.source.substring(1);
        if (node.anchor === "")
          onError(anchor, "BAD_ALIAS", "Anchor cannot be an empty string");
      }
      if (spaceBefore)
        node.spaceBefore = true;
      if (comment) {
        node.comment = comment;
        node.range[2] = end;
      }
      return node;
    }
    function composeAlias({ options }, { offset, source, end }, onError) {
      const alias = new Alias.Alias(source.substring(1));
      if (alias.source === "")
        onError(offset, "BAD_ALIAS", "Alias cannot be an empty string");
      if (alias.source.endsWith(":"))
        onError(offset + source.length - 1, "BAD_ALIAS", "Alias ending in : is ambiguous", true);
      const valueEnd = offset + source.length;
      const re = resolveEnd.resolveEnd(end, valueEnd, options.strict, onError);
      alias.range = [offset, valueEnd, re.offset];
      if (re.comment)
        alias.comment = re.comment;
      return alias;
    }
    exports.composeEmptyNode = composeEmptyNode;
    exports.composeNode = composeNode;
  }
});

// node_modules/yaml/dist/compose/compose-doc.js
var require_compose_doc = __commonJS({
  "node_modules/yaml/dist/compose/compose-doc.js"(exports) {
    "use strict";
    var Document = require_Document();
    var composeNode = require_compose_node();
    var resolveEnd = require_resolve_end();
    var resolveProps = require_resolve_props();
    function composeDoc(options, directives, { offset, start, value, end }, onError) {
      const opts = Object.assign({ _directives: directives }, options);
      const doc = new Document.Document(void 0, opts);
      const ctx = {
        atKey: false,
        atRoot: true,
        directives: doc.directives,
        options: doc.options,
        schema: doc.schema
      };
      const props = resolveProps.resolveProps(start, {
        indicator: "doc-start",
        next: value ?? end?.[0],
        offset,
        onError,
        parentIndent: 0,
        startOnNewline: true
      });
      if (props.found) {
        doc.directives.docStart = true;
        if (value && (value.type === "block-map" || value.type === "block-seq") && !props.hasNewline)
          onError(props.end, "MISSING_CHAR", "Block collection cannot start on same line with directives-end marker");
      }
      doc.contents = value ? composeNode.composeNode(ctx, value, props, onError) : composeNode.composeEmptyNode(ctx, props.end, start, null, props, onError);
      const contentEnd = doc.contents.range[2];
      const re = resolveEnd.resolveEnd(end, contentEnd, false, onError);
      if (re.comment)
        doc.comment = re.comment;
      doc.range = [offset, contentEnd, re.offset];
      return doc;
    }
    exports.composeDoc = composeDoc;
  }
});

// node_modules/yaml/dist/compose/composer.js
var require_composer = __commonJS({
  "node_modules/yaml/dist/compose/composer.js"(exports) {
    "use strict";
    var node_process = __require("process");
    var directives = require_directives();
    var Document = require_Document();
    var errors = require_errors();
    var identity = require_identity();
    var composeDoc = require_compose_doc();
    var resolveEnd = require_resolve_end();
    function getErrorPos(src) {
      if (typeof src === "number")
        return [src, src + 1];
      if (Array.isArray(src))
        return src.length === 2 ? src : [src[0], src[1]];
      const { offset, source } = src;
      return [offset, offset + (typeof source === "string" ? source.length : 1)];
    }
    function parsePrelude(prelude) {
      let comment = "";
      let atComment = false;
      let afterEmptyLine = false;
      for (let i = 0; i < prelude.length; ++i) {
        const source = prelude[i];
        switch (source[0]) {
          case "#":
            comment += (comment === "" ? "" : afterEmptyLine ? "\n\n" : "\n") + (source.substring(1) || " ");
            atComment = true;
            afterEmptyLine = false;
            break;
          case "%":
            if (prelude[i + 1]?.[0] !== "#")
              i += 1;
            atComment = false;
            break;
          default:
            if (!atComment)
              afterEmptyLine = true;
            atComment = false;
        }
      }
      return { comment, afterEmptyLine };
    }
    var Composer = class {
      constructor(options = {}) {
        this.doc = null;
        this.atDirectives = false;
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
        this.onError = (source, code, message, warning) => {
          const pos = getErrorPos(source);
          if (warning)
            this.warnings.push(new errors.YAMLWarning(pos, code, message));
          else
            this.errors.push(new errors.YAMLParseError(pos, code, message));
        };
        this.directives = new directives.Directives({ version: options.version || "1.2" });
        this.options = options;
      }
      decorate(doc, afterDoc) {
        const { comment, afterEmptyLine } = parsePrelude(this.prelude);
        if (comment) {
          const dc = doc.contents;
          if (afterDoc) {
            doc.comment = doc.comment ? `${doc.comment}
${comment}` : comment;
          } else if (afterEmptyLine || doc.directives.docStart || !dc) {
            doc.commentBefore = comment;
          } else if (identity.isCollection(dc) && !dc.flow && dc.items.length > 0) {
            let it = dc.items[0];
            if (identity.isPair(it))
              it = it.key;
            const cb = it.commentBefore;
            it.commentBefore = cb ? `${comment}
${cb}` : comment;
          } else {
            const cb = dc.commentBefore;
            dc.commentBefore = cb ? `${comment}
${cb}` : comment;
          }
        }
        if (afterDoc) {
          for (let i = 0; i < this.errors.length; ++i)
            doc.errors.push(this.errors[i]);
          for (let i = 0; i < this.warnings.length; ++i)
            doc.warnings.push(this.warnings[i]);
        } else {
          doc.errors = this.errors;
          doc.warnings = this.warnings;
        }
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
      }
      /**
       * Current stream status information.
       *
       * Mostly useful at the end of input for an empty stream.
       */
      streamInfo() {
        return {
          comment: parsePrelude(this.prelude).comment,
          directives: this.directives,
          errors: this.errors,
          warnings: this.warnings
        };
      }
      /**
       * Compose tokens into documents.
       *
       * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
       * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
       */
      *compose(tokens, forceDoc = false, endOffset = -1) {
        for (const token of tokens)
          yield* this.next(token);
        yield* this.end(forceDoc, endOffset);
      }
      /** Advance the composer by one CST token. */
      *next(token) {
        if (node_process.env.LOG_STREAM)
          console.dir(token, { depth: null });
        switch (token.type) {
          case "directive":
            this.directives.add(token.source, (offset, message, warning) => {
              const pos = getErrorPos(token);
              pos[0] += offset;
              this.onError(pos, "BAD_DIRECTIVE", message, warning);
            });
            this.prelude.push(token.source);
            this.atDirectives = true;
            break;
          case "document": {
            const doc = composeDoc.composeDoc(this.options, this.directives, token, this.onError);
            if (this.atDirectives && !doc.directives.docStart)
              this.onError(token, "MISSING_CHAR", "Missing directives-end/doc-start indicator line");
            this.decorate(doc, false);
            if (this.doc)
              yield this.doc;
            this.doc = doc;
            this.atDirectives = false;
            break;
          }
          case "byte-order-mark":
          case "space":
            break;
          case "comment":
          case "newline":
            this.prelude.push(token.source);
            break;
          case "error": {
            const msg = token.source ? `${token.message}: ${JSON.stringify(token.source)}` : token.message;
            const error = new errors.YAMLParseError(getErrorPos(token), "UNEXPECTED_TOKEN", msg);
            if (this.atDirectives || !this.doc)
              this.errors.push(error);
            else
              this.doc.errors.push(error);
            break;
          }
          case "doc-end": {
            if (!this.doc) {
              const msg = "Unexpected doc-end without preceding document";
              this.errors.push(new errors.YAMLParseError(getErrorPos(token), "UNEXPECTED_TOKEN", msg));
              break;
            }
            this.doc.directives.docEnd = true;
            const end = resolveEnd.resolveEnd(token.end, token.offset + token.source.length, this.doc.options.strict, this.onError);
            this.decorate(this.doc, true);
            if (end.comment) {
              const dc = this.doc.comment;
              this.doc.comment = dc ? `${dc}
${end.comment}` : end.comment;
            }
            this.doc.range[2] = end.offset;
            break;
          }
          default:
            this.errors.push(new errors.YAMLParseError(getErrorPos(token), "UNEXPECTED_TOKEN", `Unsupported token ${token.type}`));
        }
      }
      /**
       * Call at end of input to yield any remaining document.
       *
       * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
       * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
       */
      *end(forceDoc = false, endOffset = -1) {
        if (this.doc) {
          this.decorate(this.doc, true);
          yield this.doc;
          this.doc = null;
        } else if (forceDoc) {
          const opts = Object.assign({ _directives: this.directives }, this.options);
          const doc = new Document.Document(void 0, opts);
          if (this.atDirectives)
            this.onError(endOffset, "MISSING_CHAR", "Missing directives-end indicator line");
          doc.range = [0, endOffset, endOffset];
          this.decorate(doc, false);
          yield doc;
        }
      }
    };
    exports.Composer = Composer;
  }
});

// node_modules/yaml/dist/parse/cst-scalar.js
var require_cst_scalar = __commonJS({
  "node_modules/yaml/dist/parse/cst-scalar.js"(exports) {
    "use strict";
    var resolveBlockScalar = require_resolve_block_scalar();
    var resolveFlowScalar = require_resolve_flow_scalar();
    var errors = require_errors();
    var stringifyString = require_stringifyString();
    function resolveAsScalar(token, strict = true, onError) {
      if (token) {
        const _onError = (pos, code, message) => {
          const offset = typeof pos === "number" ? pos : Array.isArray(pos) ? pos[0] : pos.offset;
          if (onError)
            onError(offset, code, message);
          else
            throw new errors.YAMLParseError([offset, offset + 1], code, message);
        };
        switch (token.type) {
          case "scalar":
          case "single-quoted-scalar":
          case "double-quoted-scalar":
            return resolveFlowScalar.resolveFlowScalar(token, strict, _onError);
          case "block-scalar":
            return resolveBlockScalar.resolveBlockScalar({ options: { strict } }, token, _onError);
        }
      }
      return null;
    }
    function createScalarToken(value, context) {
      const { implicitKey = false, indent, inFlow = false, offset = -1, type = "PLAIN" } = context;
      const source = stringifyString.stringifyString({ type, value }, {
        implicitKey,
        indent: indent > 0 ? " ".repeat(indent) : "",
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
      });
      const end = context.end ?? [
        { type: "newline", offset: -1, indent, source: "\n" }
      ];
      switch (source[0]) {
        case "|":
        case ">": {
          const he = source.indexOf("\n");
          const head = source.substring(0, he);
          const body = source.substring(he + 1) + "\n";
          const props = [
            { type: "block-scalar-header", offset, indent, source: head }
          ];
          if (!addEndtoBlockProps(props, end))
            props.push({ type: "newline", offset: -1, indent, source: "\n" });
          return { type: "block-scalar", offset, indent, props, source: body };
        }
        case '"':
          return { type: "double-quoted-scalar", offset, indent, source, end };
        case "'":
          return { type: "single-quoted-scalar", offset, indent, source, end };
        default:
          return { type: "scalar", offset, indent, source, end };
      }
    }
    function setScalarValue(token, value, context = {}) {
      let { afterKey = false, implicitKey = false, inFlow = false, type } = context;
      let indent = "indent" in token ? token.indent : null;
      if (afterKey && typeof indent === "number")
        indent += 2;
      if (!type)
        switch (token.type) {
          case "single-quoted-scalar":
            type = "QUOTE_SINGLE";
            break;
          case "double-quoted-scalar":
            type = "QUOTE_DOUBLE";
            break;
          case "block-scalar": {
            const header = token.props[0];
            if (header.type !== "block-scalar-header")
              throw new Error("Invalid block scalar header");
            type = header.source[0] === ">" ? "BLOCK_FOLDED" : "BLOCK_LITERAL";
            break;
          }
          default:
            type = "PLAIN";
        }
      const source = stringifyString.stringifyString({ type, value }, {
        implicitKey: implicitKey || indent === null,
        indent: indent !== null && indent > 0 ? " ".repeat(indent) : "",
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
      });
      switch (source[0]) {
        case "|":
        case ">":
          setBlockScalarValue(token, source);
          break;
        case '"':
          setFlowScalarValue(token, source, "double-quoted-scalar");
          break;
        case "'":
          setFlowScalarValue(token, source, "single-quoted-scalar");
          break;
        default:
          setFlowScalarValue(token, source, "scalar");
      }
    }
    function setBlockScalarValue(token, source) {
      const he = source.indexOf("\n");
      const head = source.substring(0, he);
      const body = source.substring(he + 1) + "\n";
      if (token.type === "block-scalar") {
        const header = token.props[0];
        if (header.type !== "block-scalar-header")
          throw new Error("Invalid block scalar header");
        header.source = head;
        token.source = body;
      } else {
        const { offset } = token;
        const indent = "indent" in token ? token.indent : -1;
        const props = [
          { type: "block-scalar-header", offset, indent, source: head }
        ];
        if (!addEndtoBlockProps(props, "end" in token ? token.end : void 0))
          props.push({ type: "newline", offset: -1, indent, source: "\n" });
        for (const key of Object.keys(token))
          if (key !== "type" && key !== "offset")
            delete token[key];
        Object.assign(token, { type: "block-scalar", indent, props, source: body });
      }
    }
    function addEndtoBlockProps(props, end) {
      if (end)
        for (const st of end)
          switch (st.type) {
            case "space":
            case "comment":
              props.push(st);
              break;
            case "newline":
              props.push(st);
              return true;
          }
      return false;
    }
    function setFlowScalarValue(token, source, type) {
      switch (token.type) {
        case "scalar":
        case "double-quoted-scalar":
        case "single-quoted-scalar":
          token.type = type;
          token.source = source;
          break;
        case "block-scalar": {
          const end = token.props.slice(1);
          let oa = source.length;
          if (token.props[0].type === "block-scalar-header")
            oa -= token.props[0].source.length;
          for (const tok of end)
            tok.offset += oa;
          delete token.props;
          Object.assign(token, { type, source, end });
          break;
        }
        case "block-map":
        case "block-seq": {
          const offset = token.offset + source.length;
          const nl = { type: "newline", offset, indent: token.indent, source: "\n" };
          delete token.items;
          Object.assign(token, { type, source, end: [nl] });
          break;
        }
        default: {
          const indent = "indent" in token ? token.indent : -1;
          const end = "end" in token && Array.isArray(token.end) ? token.end.filter((st) => st.type === "space" || st.type === "comment" || st.type === "newline") : [];
          for (const key of Object.keys(token))
            if (key !== "type" && key !== "offset")
              delete token[key];
          Object.assign(token, { type, indent, source, end });
        }
      }
    }
    exports.createScalarToken = createScalarToken;
    exports.resolveAsScalar = resolveAsScalar;
    exports.setScalarValue = setScalarValue;
  }
});

// node_modules/yaml/dist/parse/cst-stringify.js
var require_cst_stringify = __commonJS({
  "node_modules/yaml/dist/parse/cst-stringify.js"(exports) {
    "use strict";
    var stringify = (cst) => "type" in cst ? stringifyToken(cst) : stringifyItem(cst);
    function stringifyToken(token) {
      switch (token.type) {
        case "block-scalar": {
          let res = "";
          for (const tok of token.props)
            res += stringifyToken(tok);
          return res + token.source;
        }
        case "block-map":
        case "block-seq": {
          let res = "";
          for (const item of token.items)
            res += stringifyItem(item);
          return res;
        }
        case "flow-collection": {
          let res = token.start.source;
          for (const item of token.items)
            res += stringifyItem(item);
          for (const st of token.end)
            res += st.source;
          return res;
        }
        case "document": {
          let res = stringifyItem(token);
          if (token.end)
            for (const st of token.end)
              res += st.source;
          return res;
        }
        default: {
          let res = token.source;
          if ("end" in token && token.end)
            for (const st of token.end)
              res += st.source;
          return res;
        }
      }
    }
    function stringifyItem({ start, key, sep, value }) {
      let res = "";
      for (const st of start)
        res += st.source;
      if (key)
        res += stringifyToken(key);
      if (sep)
        for (const st of sep)
          res += st.source;
      if (value)
        res += stringifyToken(value);
      return res;
    }
    exports.stringify = stringify;
  }
});

// node_modules/yaml/dist/parse/cst-visit.js
var require_cst_visit = __commonJS({
  "node_modules/yaml/dist/parse/cst-visit.js"(exports) {
    "use strict";
    var BREAK = Symbol("break visit");
    var SKIP = Symbol("skip children");
    var REMOVE = Symbol("remove item");
    function visit(cst, visitor) {
      if ("type" in cst && cst.type === "document")
        cst = { start: cst.start, value: cst.value };
      _visit(Object.freeze([]), cst, visitor);
    }
    visit.BREAK = BREAK;
    visit.SKIP = SKIP;
    visit.REMOVE = REMOVE;
    visit.itemAtPath = (cst, path2) => {
      let item = cst;
      for (const [field, index] of path2) {
        const tok = item?.[field];
        if (tok && "items" in tok) {
          item = tok.items[index];
        } else
          return void 0;
      }
      return item;
    };
    visit.parentCollection = (cst, path2) => {
      const parent = visit.itemAtPath(cst, path2.slice(0, -1));
      const field = path2[path2.length - 1][0];
      const coll = parent?.[field];
      if (coll && "items" in coll)
        return coll;
      throw new Error("Parent collection not found");
    };
    function _visit(path2, item, visitor) {
      let ctrl = visitor(item, path2);
      if (typeof ctrl === "symbol")
        return ctrl;
      for (const field of ["key", "value"]) {
        const token = item[field];
        if (token && "items" in token) {
          for (let i = 0; i < token.items.length; ++i) {
            const ci = _visit(Object.freeze(path2.concat([[field, i]])), token.items[i], visitor);
            if (typeof ci === "number")
              i = ci - 1;
            else if (ci === BREAK)
              return BREAK;
            else if (ci === REMOVE) {
              token.items.splice(i, 1);
              i -= 1;
            }
          }
          if (typeof ctrl === "function" && field === "key")
            ctrl = ctrl(item, path2);
        }
      }
      return typeof ctrl === "function" ? ctrl(item, path2) : ctrl;
    }
    exports.visit = visit;
  }
});

// node_modules/yaml/dist/parse/cst.js
var require_cst = __commonJS({
  "node_modules/yaml/dist/parse/cst.js"(exports) {
    "use strict";
    var cstScalar = require_cst_scalar();
    var cstStringify = require_cst_stringify();
    var cstVisit = require_cst_visit();
    var BOM = "\uFEFF";
    var DOCUMENT = "";
    var FLOW_END = "";
    var SCALAR = "";
    var isCollection = (token) => !!token && "items" in token;
    var isScalar4 = (token) => !!token && (token.type === "scalar" || token.type === "single-quoted-scalar" || token.type === "double-quoted-scalar" || token.type === "block-scalar");
    function prettyToken(token) {
      switch (token) {
        case BOM:
          return "<BOM>";
        case DOCUMENT:
          return "<DOC>";
        case FLOW_END:
          return "<FLOW_END>";
        case SCALAR:
          return "<SCALAR>";
        default:
          return JSON.stringify(token);
      }
    }
    function tokenType(source) {
      switch (source) {
        case BOM:
          return "byte-order-mark";
        case DOCUMENT:
          return "doc-mode";
        case FLOW_END:
          return "flow-error-end";
        case SCALAR:
          return "scalar";
        case "---":
          return "doc-start";
        case "...":
          return "doc-end";
        case "":
        case "\n":
        case "\r\n":
          return "newline";
        case "-":
          return "seq-item-ind";
        case "?":
          return "explicit-key-ind";
        case ":":
          return "map-value-ind";
        case "{":
          return "flow-map-start";
        case "}":
          return "flow-map-end";
        case "[":
          return "flow-seq-start";
        case "]":
          return "flow-seq-end";
        case ",":
          return "comma";
      }
      switch (source[0]) {
        case " ":
        case "	":
          return "space";
        case "#":
          return "comment";
        case "%":
          return "directive-line";
        case "*":
          return "alias";
        case "&":
          return "anchor";
        case "!":
          return "tag";
        case "'":
          return "single-quoted-scalar";
        case '"':
          return "double-quoted-scalar";
        case "|":
        case ">":
          return "block-scalar-header";
      }
      return null;
    }
    exports.createScalarToken = cstScalar.createScalarToken;
    exports.resolveAsScalar = cstScalar.resolveAsScalar;
    exports.setScalarValue = cstScalar.setScalarValue;
    exports.stringify = cstStringify.stringify;
    exports.visit = cstVisit.visit;
    exports.BOM = BOM;
    exports.DOCUMENT = DOCUMENT;
    exports.FLOW_END = FLOW_END;
    exports.SCALAR = SCALAR;
    exports.isCollection = isCollection;
    exports.isScalar = isScalar4;
    exports.prettyToken = prettyToken;
    exports.tokenType = tokenType;
  }
});

// node_modules/yaml/dist/parse/lexer.js
var require_lexer = __commonJS({
  "node_modules/yaml/dist/parse/lexer.js"(exports) {
    "use strict";
    var cst = require_cst();
    function isEmpty(ch) {
      switch (ch) {
        case void 0:
        case " ":
        case "\n":
        case "\r":
        case "	":
          return true;
        default:
          return false;
      }
    }
    var hexDigits = new Set("0123456789ABCDEFabcdef");
    var tagChars = new Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-#;/?:@&=+$_.!~*'()");
    var flowIndicatorChars = new Set(",[]{}");
    var invalidAnchorChars = new Set(" ,[]{}\n\r	");
    var isNotAnchorChar = (ch) => !ch || invalidAnchorChars.has(ch);
    var Lexer = class {
      constructor() {
        this.atEnd = false;
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        this.buffer = "";
        this.flowKey = false;
        this.flowLevel = 0;
        this.indentNext = 0;
        this.indentValue = 0;
        this.lineEndPos = null;
        this.next = null;
        this.pos = 0;
      }
      /**
       * Generate YAML tokens from the `source` string. If `incomplete`,
       * a part of the last line may be left as a buffer for the next call.
       *
       * @returns A generator of lexical tokens
       */
      *lex(source, incomplete = false) {
        if (source) {
          if (typeof source !== "string")
            throw TypeError("source is not a string");
          this.buffer = this.buffer ? this.buffer + source : source;
          this.lineEndPos = null;
        }
        this.atEnd = !incomplete;
        let next = this.next ?? "stream";
        while (next && (incomplete || this.hasChars(1)))
          next = yield* this.parseNext(next);
      }
      atLineEnd() {
        let i = this.pos;
        let ch = this.buffer[i];
        while (ch === " " || ch === "	")
          ch = this.buffer[++i];
        if (!ch || ch === "#" || ch === "\n")
          return true;
        if (ch === "\r")
          return this.buffer[i + 1] === "\n";
        return false;
      }
      charAt(n) {
        return this.buffer[this.pos + n];
      }
      continueScalar(offset) {
        let ch = this.buffer[offset];
        if (this.indentNext > 0) {
          let indent = 0;
          while (ch === " ")
            ch = this.buffer[++indent + offset];
          if (ch === "\r") {
            const next = this.buffer[indent + offset + 1];
            if (next === "\n" || !next && !this.atEnd)
              return offset + indent + 1;
          }
          return ch === "\n" || indent >= this.indentNext || !ch && !this.atEnd ? offset + indent : -1;
        }
        if (ch === "-" || ch === ".") {
          const dt = this.buffer.substr(offset, 3);
          if ((dt === "---" || dt === "...") && isEmpty(this.buffer[offset + 3]))
            return -1;
        }
        return offset;
      }
      getLine() {
        let end = this.lineEndPos;
        if (typeof end !== "number" || end !== -1 && end < this.pos) {
          end = this.buffer.indexOf("\n", this.pos);
          this.lineEndPos = end;
        }
        if (end === -1)
          return this.atEnd ? this.buffer.substring(this.pos) : null;
        if (this.buffer[end - 1] === "\r")
          end -= 1;
        return this.buffer.substring(this.pos, end);
      }
      hasChars(n) {
        return this.pos + n <= this.buffer.length;
      }
      setNext(state) {
        this.buffer = this.buffer.substring(this.pos);
        this.pos = 0;
        this.lineEndPos = null;
        this.next = state;
        return null;
      }
      peek(n) {
        return this.buffer.substr(this.pos, n);
      }
      *parseNext(next) {
        switch (next) {
          case "stream":
            return yield* this.parseStream();
          case "line-start":
            return yield* this.parseLineStart();
          case "block-start":
            return yield* this.parseBlockStart();
          case "doc":
            return yield* this.parseDocument();
          case "flow":
            return yield* this.parseFlowCollection();
          case "quoted-scalar":
            return yield* this.parseQuotedScalar();
          case "block-scalar":
            return yield* this.parseBlockScalar();
          case "plain-scalar":
            return yield* this.parsePlainScalar();
        }
      }
      *parseStream() {
        let line = this.getLine();
        if (line === null)
          return this.setNext("stream");
        if (line[0] === cst.BOM) {
          yield* this.pushCount(1);
          line = line.substring(1);
        }
        if (line[0] === "%") {
          let dirEnd = line.length;
          let cs = line.indexOf("#");
          while (cs !== -1) {
            const ch = line[cs - 1];
            if (ch === " " || ch === "	") {
              dirEnd = cs - 1;
              break;
            } else {
              cs = line.indexOf("#", cs + 1);
            }
          }
          while (true) {
            const ch = line[dirEnd - 1];
            if (ch === " " || ch === "	")
              dirEnd -= 1;
            else
              break;
          }
          const n = (yield* this.pushCount(dirEnd)) + (yield* this.pushSpaces(true));
          yield* this.pushCount(line.length - n);
          this.pushNewline();
          return "stream";
        }
        if (this.atLineEnd()) {
          const sp = yield* this.pushSpaces(true);
          yield* this.pushCount(line.length - sp);
          yield* this.pushNewline();
          return "stream";
        }
        yield cst.DOCUMENT;
        return yield* this.parseLineStart();
      }
      *parseLineStart() {
        const ch = this.charAt(0);
        if (!ch && !this.atEnd)
          return this.setNext("line-start");
        if (ch === "-" || ch === ".") {
          if (!this.atEnd && !this.hasChars(4))
            return this.setNext("line-start");
          const s = this.peek(3);
          if ((s === "---" || s === "...") && isEmpty(this.charAt(3))) {
            yield* this.pushCount(3);
            this.indentValue = 0;
            this.indentNext = 0;
            return s === "---" ? "doc" : "stream";
          }
        }
        this.indentValue = yield* this.pushSpaces(false);
        if (this.indentNext > this.indentValue && !isEmpty(this.charAt(1)))
          this.indentNext = this.indentValue;
        return yield* this.parseBlockStart();
      }
      *parseBlockStart() {
        const [ch0, ch1] = this.peek(2);
        if (!ch1 && !this.atEnd)
          return this.setNext("block-start");
        if ((ch0 === "-" || ch0 === "?" || ch0 === ":") && isEmpty(ch1)) {
          const n = (yield* this.pushCount(1)) + (yield* this.pushSpaces(true));
          this.indentNext = this.indentValue + 1;
          this.indentValue += n;
          return "block-start";
        }
        return "doc";
      }
      *parseDocument() {
        yield* this.pushSpaces(true);
        const line = this.getLine();
        if (line === null)
          return this.setNext("doc");
        let n = yield* this.pushIndicators();
        switch (line[n]) {
          case "#":
            yield* this.pushCount(line.length - n);
          // fallthrough
          case void 0:
            yield* this.pushNewline();
            return yield* this.parseLineStart();
          case "{":
          case "[":
            yield* this.pushCount(1);
            this.flowKey = false;
            this.flowLevel = 1;
            return "flow";
          case "}":
          case "]":
            yield* this.pushCount(1);
            return "doc";
          case "*":
            yield* this.pushUntil(isNotAnchorChar);
            return "doc";
          case '"':
          case "'":
            return yield* this.parseQuotedScalar();
          case "|":
          case ">":
            n += yield* this.parseBlockScalarHeader();
            n += yield* this.pushSpaces(true);
            yield* this.pushCount(line.length - n);
            yield* this.pushNewline();
            return yield* this.parseBlockScalar();
          default:
            return yield* this.parsePlainScalar();
        }
      }
      *parseFlowCollection() {
        let nl, sp;
        let indent = -1;
        do {
          nl = yield* this.pushNewline();
          if (nl > 0) {
            sp = yield* this.pushSpaces(false);
            this.indentValue = indent = sp;
          } else {
            sp = 0;
          }
          sp += yield* this.pushSpaces(true);
        } while (nl + sp > 0);
        const line = this.getLine();
        if (line === null)
          return this.setNext("flow");
        if (indent !== -1 && indent < this.indentNext && line[0] !== "#" || indent === 0 && (line.startsWith("---") || line.startsWith("...")) && isEmpty(line[3])) {
          const atFlowEndMarker = indent === this.indentNext - 1 && this.flowLevel === 1 && (line[0] === "]" || line[0] === "}");
          if (!atFlowEndMarker) {
            this.flowLevel = 0;
            yield cst.FLOW_END;
            return yield* this.parseLineStart();
          }
        }
        let n = 0;
        while (line[n] === ",") {
          n += yield* this.pushCount(1);
          n += yield* this.pushSpaces(true);
          this.flowKey = false;
        }
        n += yield* this.pushIndicators();
        switch (line[n]) {
          case void 0:
            return "flow";
          case "#":
            yield* this.pushCount(line.length - n);
            return "flow";
          case "{":
          case "[":
            yield* this.pushCount(1);
            this.flowKey = false;
            this.flowLevel += 1;
            return "flow";
          case "}":
          case "]":
            yield* this.pushCount(1);
            this.flowKey = true;
            this.flowLevel -= 1;
            return this.flowLevel ? "flow" : "doc";
          case "*":
            yield* this.pushUntil(isNotAnchorChar);
            return "flow";
          case '"':
          case "'":
            this.flowKey = true;
            return yield* this.parseQuotedScalar();
          case ":": {
            const next = this.charAt(1);
            if (this.flowKey || isEmpty(next) || next === ",") {
              this.flowKey = false;
              yield* this.pushCount(1);
              yield* this.pushSpaces(true);
              return "flow";
            }
          }
          // fallthrough
          default:
            this.flowKey = false;
            return yield* this.parsePlainScalar();
        }
      }
      *parseQuotedScalar() {
        const quote = this.charAt(0);
        let end = this.buffer.indexOf(quote, this.pos + 1);
        if (quote === "'") {
          while (end !== -1 && this.buffer[end + 1] === "'")
            end = this.buffer.indexOf("'", end + 2);
        } else {
          while (end !== -1) {
            let n = 0;
            while (this.buffer[end - 1 - n] === "\\")
              n += 1;
            if (n % 2 === 0)
              break;
            end = this.buffer.indexOf('"', end + 1);
          }
        }
        const qb = this.buffer.substring(0, end);
        let nl = qb.indexOf("\n", this.pos);
        if (nl !== -1) {
          while (nl !== -1) {
            const cs = this.continueScalar(nl + 1);
            if (cs === -1)
              break;
            nl = qb.indexOf("\n", cs);
          }
          if (nl !== -1) {
            end = nl - (qb[nl - 1] === "\r" ? 2 : 1);
          }
        }
        if (end === -1) {
          if (!this.atEnd)
            return this.setNext("quoted-scalar");
          end = this.buffer.length;
        }
        yield* this.pushToIndex(end + 1, false);
        return this.flowLevel ? "flow" : "doc";
      }
      *parseBlockScalarHeader() {
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        let i = this.pos;
        while (true) {
          const ch = this.buffer[++i];
          if (ch === "+")
            this.blockScalarKeep = true;
          else if (ch > "0" && ch <= "9")
            this.blockScalarIndent = Number(ch) - 1;
          else if (ch !== "-")
            break;
        }
        return yield* this.pushUntil((ch) => isEmpty(ch) || ch === "#");
      }
      *parseBlockScalar() {
        let nl = this.pos - 1;
        let indent = 0;
        let ch;
        loop: for (let i2 = this.pos; ch = this.buffer[i2]; ++i2) {
          switch (ch) {
            case " ":
              indent += 1;
              break;
            case "\n":
              nl = i2;
              indent = 0;
              break;
            case "\r": {
              const next = this.buffer[i2 + 1];
              if (!next && !this.atEnd)
                return this.setNext("block-scalar");
              if (next === "\n")
                break;
            }
            // fallthrough
            default:
              break loop;
          }
        }
        if (!ch && !this.atEnd)
          return this.setNext("block-scalar");
        if (indent >= this.indentNext) {
          if (this.blockScalarIndent === -1)
            this.indentNext = indent;
          else {
            this.indentNext = this.blockScalarIndent + (this.indentNext === 0 ? 1 : this.indentNext);
          }
          do {
            const cs = this.continueScalar(nl + 1);
            if (cs === -1)
              break;
            nl = this.buffer.indexOf("\n", cs);
          } while (nl !== -1);
          if (nl === -1) {
            if (!this.atEnd)
              return this.setNext("block-scalar");
            nl = this.buffer.length;
          }
        }
        let i = nl + 1;
        ch = this.buffer[i];
        while (ch === " ")
          ch = this.buffer[++i];
        if (ch === "	") {
          while (ch === "	" || ch === " " || ch === "\r" || ch === "\n")
            ch = this.buffer[++i];
          nl = i - 1;
        } else if (!this.blockScalarKeep) {
          do {
            let i2 = nl - 1;
            let ch2 = this.buffer[i2];
            if (ch2 === "\r")
              ch2 = this.buffer[--i2];
            const lastChar = i2;
            while (ch2 === " ")
              ch2 = this.buffer[--i2];
            if (ch2 === "\n" && i2 >= this.pos && i2 + 1 + indent > lastChar)
              nl = i2;
            else
              break;
          } while (true);
        }
        yield cst.SCALAR;
        yield* this.pushToIndex(nl + 1, true);
        return yield* this.parseLineStart();
      }
      *parsePlainScalar() {
        const inFlow = this.flowLevel > 0;
        let end = this.pos - 1;
        let i = this.pos - 1;
        let ch;
        while (ch = this.buffer[++i]) {
          if (ch === ":") {
            const next = this.buffer[i + 1];
            if (isEmpty(next) || inFlow && flowIndicatorChars.has(next))
              break;
            end = i;
          } else if (isEmpty(ch)) {
            let next = this.buffer[i + 1];
            if (ch === "\r") {
              if (next === "\n") {
                i += 1;
                ch = "\n";
                next = this.buffer[i + 1];
              } else
                end = i;
            }
            if (next === "#" || inFlow && flowIndicatorChars.has(next))
              break;
            if (ch === "\n") {
              const cs = this.continueScalar(i + 1);
              if (cs === -1)
                break;
              i = Math.max(i, cs - 2);
            }
          } else {
            if (inFlow && flowIndicatorChars.has(ch))
              break;
            end = i;
          }
        }
        if (!ch && !this.atEnd)
          return this.setNext("plain-scalar");
        yield cst.SCALAR;
        yield* this.pushToIndex(end + 1, true);
        return inFlow ? "flow" : "doc";
      }
      *pushCount(n) {
        if (n > 0) {
          yield this.buffer.substr(this.pos, n);
          this.pos += n;
          return n;
        }
        return 0;
      }
      *pushToIndex(i, allowEmpty) {
        const s = this.buffer.slice(this.pos, i);
        if (s) {
          yield s;
          this.pos += s.length;
          return s.length;
        } else if (allowEmpty)
          yield "";
        return 0;
      }
      *pushIndicators() {
        let n = 0;
        loop: while (true) {
          switch (this.charAt(0)) {
            case "!":
              n += yield* this.pushTag();
              n += yield* this.pushSpaces(true);
              continue loop;
            case "&":
              n += yield* this.pushUntil(isNotAnchorChar);
              n += yield* this.pushSpaces(true);
              continue loop;
            case "-":
            // this is an error
            case "?":
            // this is an error outside flow collections
            case ":": {
              const inFlow = this.flowLevel > 0;
              const ch1 = this.charAt(1);
              if (isEmpty(ch1) || inFlow && flowIndicatorChars.has(ch1)) {
                if (!inFlow)
                  this.indentNext = this.indentValue + 1;
                else if (this.flowKey)
                  this.flowKey = false;
                n += yield* this.pushCount(1);
                n += yield* this.pushSpaces(true);
                continue loop;
              }
            }
          }
          break loop;
        }
        return n;
      }
      *pushTag() {
        if (this.charAt(1) === "<") {
          let i = this.pos + 2;
          let ch = this.buffer[i];
          while (!isEmpty(ch) && ch !== ">")
            ch = this.buffer[++i];
          return yield* this.pushToIndex(ch === ">" ? i + 1 : i, false);
        } else {
          let i = this.pos + 1;
          let ch = this.buffer[i];
          while (ch) {
            if (tagChars.has(ch))
              ch = this.buffer[++i];
            else if (ch === "%" && hexDigits.has(this.buffer[i + 1]) && hexDigits.has(this.buffer[i + 2])) {
              ch = this.buffer[i += 3];
            } else
              break;
          }
          return yield* this.pushToIndex(i, false);
        }
      }
      *pushNewline() {
        const ch = this.buffer[this.pos];
        if (ch === "\n")
          return yield* this.pushCount(1);
        else if (ch === "\r" && this.charAt(1) === "\n")
          return yield* this.pushCount(2);
        else
          return 0;
      }
      *pushSpaces(allowTabs) {
        let i = this.pos - 1;
        let ch;
        do {
          ch = this.buffer[++i];
        } while (ch === " " || allowTabs && ch === "	");
        const n = i - this.pos;
        if (n > 0) {
          yield this.buffer.substr(this.pos, n);
          this.pos = i;
        }
        return n;
      }
      *pushUntil(test) {
        let i = this.pos;
        let ch = this.buffer[i];
        while (!test(ch))
          ch = this.buffer[++i];
        return yield* this.pushToIndex(i, false);
      }
    };
    exports.Lexer = Lexer;
  }
});

// node_modules/yaml/dist/parse/line-counter.js
var require_line_counter = __commonJS({
  "node_modules/yaml/dist/parse/line-counter.js"(exports) {
    "use strict";
    var LineCounter2 = class {
      constructor() {
        this.lineStarts = [];
        this.addNewLine = (offset) => this.lineStarts.push(offset);
        this.linePos = (offset) => {
          let low = 0;
          let high = this.lineStarts.length;
          while (low < high) {
            const mid = low + high >> 1;
            if (this.lineStarts[mid] < offset)
              low = mid + 1;
            else
              high = mid;
          }
          if (this.lineStarts[low] === offset)
            return { line: low + 1, col: 1 };
          if (low === 0)
            return { line: 0, col: offset };
          const start = this.lineStarts[low - 1];
          return { line: low, col: offset - start + 1 };
        };
      }
    };
    exports.LineCounter = LineCounter2;
  }
});

// node_modules/yaml/dist/parse/parser.js
var require_parser = __commonJS({
  "node_modules/yaml/dist/parse/parser.js"(exports) {
    "use strict";
    var node_process = __require("process");
    var cst = require_cst();
    var lexer = require_lexer();
    function includesToken(list, type) {
      for (let i = 0; i < list.length; ++i)
        if (list[i].type === type)
          return true;
      return false;
    }
    function findNonEmptyIndex(list) {
      for (let i = 0; i < list.length; ++i) {
        switch (list[i].type) {
          case "space":
          case "comment":
          case "newline":
            break;
          default:
            return i;
        }
      }
      return -1;
    }
    function isFlowToken(token) {
      switch (token?.type) {
        case "alias":
        case "scalar":
        case "single-quoted-scalar":
        case "double-quoted-scalar":
        case "flow-collection":
          return true;
        default:
          return false;
      }
    }
    function getPrevProps(parent) {
      switch (parent.type) {
        case "document":
          return parent.start;
        case "block-map": {
          const it = parent.items[parent.items.length - 1];
          return it.sep ?? it.start;
        }
        case "block-seq":
          return parent.items[parent.items.length - 1].start;
        /* istanbul ignore next should not happen */
        default:
          return [];
      }
    }
    function getFirstKeyStartProps(prev) {
      if (prev.length === 0)
        return [];
      let i = prev.length;
      loop: while (--i >= 0) {
        switch (prev[i].type) {
          case "doc-start":
          case "explicit-key-ind":
          case "map-value-ind":
          case "seq-item-ind":
          case "newline":
            break loop;
        }
      }
      while (prev[++i]?.type === "space") {
      }
      return prev.splice(i, prev.length);
    }
    function arrayPushArray(target, source) {
      if (source.length < 1e5)
        Array.prototype.push.apply(target, source);
      else
        for (let i = 0; i < source.length; ++i)
          target.push(source[i]);
    }
    function fixFlowSeqItems(fc) {
      if (fc.start.type === "flow-seq-start") {
        for (const it of fc.items) {
          if (it.sep && !it.value && !includesToken(it.start, "explicit-key-ind") && !includesToken(it.sep, "map-value-ind")) {
            if (it.key)
              it.value = it.key;
            delete it.key;
            if (isFlowToken(it.value)) {
              if (it.value.end)
                arrayPushArray(it.value.end, it.sep);
              else
                it.value.end = it.sep;
            } else
              arrayPushArray(it.start, it.sep);
            delete it.sep;
          }
        }
      }
    }
    var Parser = class {
      /**
       * @param onNewLine - If defined, called separately with the start position of
       *   each new line (in `parse()`, including the start of input).
       */
      constructor(onNewLine) {
        this.atNewLine = true;
        this.atScalar = false;
        this.indent = 0;
        this.offset = 0;
        this.onKeyLine = false;
        this.stack = [];
        this.source = "";
        this.type = "";
        this.lexer = new lexer.Lexer();
        this.onNewLine = onNewLine;
      }
      /**
       * Parse `source` as a YAML stream.
       * If `incomplete`, a part of the last line may be left as a buffer for the next call.
       *
       * Errors are not thrown, but yielded as `{ type: 'error', message }` tokens.
       *
       * @returns A generator of tokens representing each directive, document, and other structure.
       */
      *parse(source, incomplete = false) {
        if (this.onNewLine && this.offset === 0)
          this.onNewLine(0);
        for (const lexeme of this.lexer.lex(source, incomplete))
          yield* this.next(lexeme);
        if (!incomplete)
          yield* this.end();
      }
      /**
       * Advance the parser by the `source` of one lexical token.
       */
      *next(source) {
        this.source = source;
        if (node_process.env.LOG_TOKENS)
          console.log("|", cst.prettyToken(source));
        if (this.atScalar) {
          this.atScalar = false;
          yield* this.step();
          this.offset += source.length;
          return;
        }
        const type = cst.tokenType(source);
        if (!type) {
          const message = `Not a YAML token: ${source}`;
          yield* this.pop({ type: "error", offset: this.offset, message, source });
          this.offset += source.length;
        } else if (type === "scalar") {
          this.atNewLine = false;
          this.atScalar = true;
          this.type = "scalar";
        } else {
          this.type = type;
          yield* this.step();
          switch (type) {
            case "newline":
              this.atNewLine = true;
              this.indent = 0;
              if (this.onNewLine)
                this.onNewLine(this.offset + source.length);
              break;
            case "space":
              if (this.atNewLine && source[0] === " ")
                this.indent += source.length;
              break;
            case "explicit-key-ind":
            case "map-value-ind":
            case "seq-item-ind":
              if (this.atNewLine)
                this.indent += source.length;
              break;
            case "doc-mode":
            case "flow-error-end":
              return;
            default:
              this.atNewLine = false;
          }
          this.offset += source.length;
        }
      }
      /** Call at end of input to push out any remaining constructions */
      *end() {
        while (this.stack.length > 0)
          yield* this.pop();
      }
      get sourceToken() {
        const st = {
          type: this.type,
          offset: this.offset,
          indent: this.indent,
          source: this.source
        };
        return st;
      }
      *step() {
        const top = this.peek(1);
        if (this.type === "doc-end" && top?.type !== "doc-end") {
          while (this.stack.length > 0)
            yield* this.pop();
          this.stack.push({
            type: "doc-end",
            offset: this.offset,
            source: this.source
          });
          return;
        }
        if (!top)
          return yield* this.stream();
        switch (top.type) {
          case "document":
            return yield* this.document(top);
          case "alias":
          case "scalar":
          case "single-quoted-scalar":
          case "double-quoted-scalar":
            return yield* this.scalar(top);
          case "block-scalar":
            return yield* this.blockScalar(top);
          case "block-map":
            return yield* this.blockMap(top);
          case "block-seq":
            return yield* this.blockSequence(top);
          case "flow-collection":
            return yield* this.flowCollection(top);
          case "doc-end":
            return yield* this.documentEnd(top);
        }
        yield* this.pop();
      }
      peek(n) {
        return this.stack[this.stack.length - n];
      }
      *pop(error) {
        const token = error ?? this.stack.pop();
        if (!token) {
          const message = "Tried to pop an empty stack";
          yield { type: "error", offset: this.offset, source: "", message };
        } else if (this.stack.length === 0) {
          yield token;
        } else {
          const top = this.peek(1);
          if (token.type === "block-scalar") {
            token.indent = "indent" in top ? top.indent : 0;
          } else if (token.type === "flow-collection" && top.type === "document") {
            token.indent = 0;
          }
          if (token.type === "flow-collection")
            fixFlowSeqItems(token);
          switch (top.type) {
            case "document":
              top.value = token;
              break;
            case "block-scalar":
              top.props.push(token);
              break;
            case "block-map": {
              const it = top.items[top.items.length - 1];
              if (it.value) {
                top.items.push({ start: [], key: token, sep: [] });
                this.onKeyLine = true;
                return;
              } else if (it.sep) {
                it.value = token;
              } else {
                Object.assign(it, { key: token, sep: [] });
                this.onKeyLine = !it.explicitKey;
                return;
              }
              break;
            }
            case "block-seq": {
              const it = top.items[top.items.length - 1];
              if (it.value)
                top.items.push({ start: [], value: token });
              else
                it.value = token;
              break;
            }
            case "flow-collection": {
              const it = top.items[top.items.length - 1];
              if (!it || it.value)
                top.items.push({ start: [], key: token, sep: [] });
              else if (it.sep)
                it.value = token;
              else
                Object.assign(it, { key: token, sep: [] });
              return;
            }
            /* istanbul ignore next should not happen */
            default:
              yield* this.pop();
              yield* this.pop(token);
          }
          if ((top.type === "document" || top.type === "block-map" || top.type === "block-seq") && (token.type === "block-map" || token.type === "block-seq")) {
            const last = token.items[token.items.length - 1];
            if (last && !last.sep && !last.value && last.start.length > 0 && findNonEmptyIndex(last.start) === -1 && (token.indent === 0 || last.start.every((st) => st.type !== "comment" || st.indent < token.indent))) {
              if (top.type === "document")
                top.end = last.start;
              else
                top.items.push({ start: last.start });
              token.items.splice(-1, 1);
            }
          }
        }
      }
      *stream() {
        switch (this.type) {
          case "directive-line":
            yield { type: "directive", offset: this.offset, source: this.source };
            return;
          case "byte-order-mark":
          case "space":
          case "comment":
          case "newline":
            yield this.sourceToken;
            return;
          case "doc-mode":
          case "doc-start": {
            const doc = {
              type: "document",
              offset: this.offset,
              start: []
            };
            if (this.type === "doc-start")
              doc.start.push(this.sourceToken);
            this.stack.push(doc);
            return;
          }
        }
        yield {
          type: "error",
          offset: this.offset,
          message: `Unexpected ${this.type} token in YAML stream`,
          source: this.source
        };
      }
      *document(doc) {
        if (doc.value)
          return yield* this.lineEnd(doc);
        switch (this.type) {
          case "doc-start": {
            if (findNonEmptyIndex(doc.start) !== -1) {
              yield* this.pop();
              yield* this.step();
            } else
              doc.start.push(this.sourceToken);
            return;
          }
          case "anchor":
          case "tag":
          case "space":
          case "comment":
          case "newline":
            doc.start.push(this.sourceToken);
            return;
        }
        const bv = this.startBlockValue(doc);
        if (bv)
          this.stack.push(bv);
        else {
          yield {
            type: "error",
            offset: this.offset,
            message: `Unexpected ${this.type} token in YAML document`,
            source: this.source
          };
        }
      }
      *scalar(scalar) {
        if (this.type === "map-value-ind") {
          const prev = getPrevProps(this.peek(2));
          const start = getFirstKeyStartProps(prev);
          let sep;
          if (scalar.end) {
            sep = scalar.end;
            sep.push(this.sourceToken);
            delete scalar.end;
          } else
            sep = [this.sourceToken];
          const map = {
            type: "block-map",
            offset: scalar.offset,
            indent: scalar.indent,
            items: [{ start, key: scalar, sep }]
          };
          this.onKeyLine = true;
          this.stack[this.stack.length - 1] = map;
        } else
          yield* this.lineEnd(scalar);
      }
      *blockScalar(scalar) {
        switch (this.type) {
          case "space":
          case "comment":
          case "newline":
            scalar.props.push(this.sourceToken);
            return;
          case "scalar":
            scalar.source = this.source;
            this.atNewLine = true;
            this.indent = 0;
            if (this.onNewLine) {
              let nl = this.source.indexOf("\n") + 1;
              while (nl !== 0) {
                this.onNewLine(this.offset + nl);
                nl = this.source.indexOf("\n", nl) + 1;
              }
            }
            yield* this.pop();
            break;
          /* istanbul ignore next should not happen */
          default:
            yield* this.pop();
            yield* this.step();
        }
      }
      *blockMap(map) {
        const it = map.items[map.items.length - 1];
        switch (this.type) {
          case "newline":
            this.onKeyLine = false;
            if (it.value) {
              const end = "end" in it.value ? it.value.end : void 0;
              const last = Array.isArray(end) ? end[end.length - 1] : void 0;
              if (last?.type === "comment")
                end?.push(this.sourceToken);
              else
                map.items.push({ start: [this.sourceToken] });
            } else if (it.sep) {
              it.sep.push(this.sourceToken);
            } else {
              it.start.push(this.sourceToken);
            }
            return;
          case "space":
          case "comment":
            if (it.value) {
              map.items.push({ start: [this.sourceToken] });
            } else if (it.sep) {
              it.sep.push(this.sourceToken);
            } else {
              if (this.atIndentedComment(it.start, map.indent)) {
                const prev = map.items[map.items.length - 2];
                const end = prev?.value?.end;
                if (Array.isArray(end)) {
                  arrayPushArray(end, it.start);
                  end.push(this.sourceToken);
                  map.items.pop();
                  return;
                }
              }
              it.start.push(this.sourceToken);
            }
            return;
        }
        if (this.indent >= map.indent) {
          const atMapIndent = !this.onKeyLine && this.indent === map.indent;
          const atNextItem = atMapIndent && (it.sep || it.explicitKey) && this.type !== "seq-item-ind";
          let start = [];
          if (atNextItem && it.sep && !it.value) {
            const nl = [];
            for (let i = 0; i < it.sep.length; ++i) {
              const st = it.sep[i];
              switch (st.type) {
                case "newline":
                  nl.push(i);
                  break;
                case "space":
                  break;
                case "comment":
                  if (st.indent > map.indent)
                    nl.length = 0;
                  break;
                default:
                  nl.length = 0;
              }
            }
            if (nl.length >= 2)
              start = it.sep.splice(nl[1]);
          }
          switch (this.type) {
            case "anchor":
            case "tag":
              if (atNextItem || it.value) {
                start.push(this.sourceToken);
                map.items.push({ start });
                this.onKeyLine = true;
              } else if (it.sep) {
                it.sep.push(this.sourceToken);
              } else {
                it.start.push(this.sourceToken);
              }
              return;
            case "explicit-key-ind":
              if (!it.sep && !it.explicitKey) {
                it.start.push(this.sourceToken);
                it.explicitKey = true;
              } else if (atNextItem || it.value) {
                start.push(this.sourceToken);
                map.items.push({ start, explicitKey: true });
              } else {
                this.stack.push({
                  type: "block-map",
                  offset: this.offset,
                  indent: this.indent,
                  items: [{ start: [this.sourceToken], explicitKey: true }]
                });
              }
              this.onKeyLine = true;
              return;
            case "map-value-ind":
              if (it.explicitKey) {
                if (!it.sep) {
                  if (includesToken(it.start, "newline")) {
                    Object.assign(it, { key: null, sep: [this.sourceToken] });
                  } else {
                    const start2 = getFirstKeyStartProps(it.start);
                    this.stack.push({
                      type: "block-map",
                      offset: this.offset,
                      indent: this.indent,
                      items: [{ start: start2, key: null, sep: [this.sourceToken] }]
                    });
                  }
                } else if (it.value) {
                  map.items.push({ start: [], key: null, sep: [this.sourceToken] });
                } else if (includesToken(it.sep, "map-value-ind")) {
                  this.stack.push({
                    type: "block-map",
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, key: null, sep: [this.sourceToken] }]
                  });
                } else if (isFlowToken(it.key) && !includesToken(it.sep, "newline")) {
                  const start2 = getFirstKeyStartProps(it.start);
                  const key = it.key;
                  const sep = it.sep;
                  sep.push(this.sourceToken);
                  delete it.key;
                  delete it.sep;
                  this.stack.push({
                    type: "block-map",
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: start2, key, sep }]
                  });
                } else if (start.length > 0) {
                  it.sep = it.sep.concat(start, this.sourceToken);
                } else {
                  it.sep.push(this.sourceToken);
                }
              } else {
                if (!it.sep) {
                  Object.assign(it, { key: null, sep: [this.sourceToken] });
                } else if (it.value || atNextItem) {
                  map.items.push({ start, key: null, sep: [this.sourceToken] });
                } else if (includesToken(it.sep, "map-value-ind")) {
                  this.stack.push({
                    type: "block-map",
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: [], key: null, sep: [this.sourceToken] }]
                  });
                } else {
                  it.sep.push(this.sourceToken);
                }
              }
              this.onKeyLine = true;
              return;
            case "alias":
            case "scalar":
            case "single-quoted-scalar":
            case "double-quoted-scalar": {
              const fs2 = this.flowScalar(this.type);
              if (atNextItem || it.value) {
                map.items.push({ start, key: fs2, sep: [] });
                this.onKeyLine = true;
              } else if (it.sep) {
                this.stack.push(fs2);
              } else {
                Object.assign(it, { key: fs2, sep: [] });
                this.onKeyLine = true;
              }
              return;
            }
            default: {
              const bv = this.startBlockValue(map);
              if (bv) {
                if (bv.type === "block-seq") {
                  if (!it.explicitKey && it.sep && !includesToken(it.sep, "newline")) {
                    yield* this.pop({
                      type: "error",
                      offset: this.offset,
                      message: "Unexpected block-seq-ind on same line with key",
                      source: this.source
                    });
                    return;
                  }
                } else if (atMapIndent) {
                  map.items.push({ start });
                }
                this.stack.push(bv);
                return;
              }
            }
          }
        }
        yield* this.pop();
        yield* this.step();
      }
      *blockSequence(seq) {
        const it = seq.items[seq.items.length - 1];
        switch (this.type) {
          case "newline":
            if (it.value) {
              const end = "end" in it.value ? it.value.end : void 0;
              const last = Array.isArray(end) ? end[end.length - 1] : void 0;
              if (last?.type === "comment")
                end?.push(this.sourceToken);
              else
                seq.items.push({ start: [this.sourceToken] });
            } else
              it.start.push(this.sourceToken);
            return;
          case "space":
          case "comment":
            if (it.value)
              seq.items.push({ start: [this.sourceToken] });
            else {
              if (this.atIndentedComment(it.start, seq.indent)) {
                const prev = seq.items[seq.items.length - 2];
                const end = prev?.value?.end;
                if (Array.isArray(end)) {
                  arrayPushArray(end, it.start);
                  end.push(this.sourceToken);
                  seq.items.pop();
                  return;
                }
              }
              it.start.push(this.sourceToken);
            }
            return;
          case "anchor":
          case "tag":
            if (it.value || this.indent <= seq.indent)
              break;
            it.start.push(this.sourceToken);
            return;
          case "seq-item-ind":
            if (this.indent !== seq.indent)
              break;
            if (it.value || includesToken(it.start, "seq-item-ind"))
              seq.items.push({ start: [this.sourceToken] });
            else
              it.start.push(this.sourceToken);
            return;
        }
        if (this.indent > seq.indent) {
          const bv = this.startBlockValue(seq);
          if (bv) {
            this.stack.push(bv);
            return;
          }
        }
        yield* this.pop();
        yield* this.step();
      }
      *flowCollection(fc) {
        const it = fc.items[fc.items.length - 1];
        if (this.type === "flow-error-end") {
          let top;
          do {
            yield* this.pop();
            top = this.peek(1);
          } while (top?.type === "flow-collection");
        } else if (fc.end.length === 0) {
          switch (this.type) {
            case "comma":
            case "explicit-key-ind":
              if (!it || it.sep)
                fc.items.push({ start: [this.sourceToken] });
              else
                it.start.push(this.sourceToken);
              return;
            case "map-value-ind":
              if (!it || it.value)
                fc.items.push({ start: [], key: null, sep: [this.sourceToken] });
              else if (it.sep)
                it.sep.push(this.sourceToken);
              else
                Object.assign(it, { key: null, sep: [this.sourceToken] });
              return;
            case "space":
            case "comment":
            case "newline":
            case "anchor":
            case "tag":
              if (!it || it.value)
                fc.items.push({ start: [this.sourceToken] });
              else if (it.sep)
                it.sep.push(this.sourceToken);
              else
                it.start.push(this.sourceToken);
              return;
            case "alias":
            case "scalar":
            case "single-quoted-scalar":
            case "double-quoted-scalar": {
              const fs2 = this.flowScalar(this.type);
              if (!it || it.value)
                fc.items.push({ start: [], key: fs2, sep: [] });
              else if (it.sep)
                this.stack.push(fs2);
              else
                Object.assign(it, { key: fs2, sep: [] });
              return;
            }
            case "flow-map-end":
            case "flow-seq-end":
              fc.end.push(this.sourceToken);
              return;
          }
          const bv = this.startBlockValue(fc);
          if (bv)
            this.stack.push(bv);
          else {
            yield* this.pop();
            yield* this.step();
          }
        } else {
          const parent = this.peek(2);
          if (parent.type === "block-map" && (this.type === "map-value-ind" && parent.indent === fc.indent || this.type === "newline" && !parent.items[parent.items.length - 1].sep)) {
            yield* this.pop();
            yield* this.step();
          } else if (this.type === "map-value-ind" && parent.type !== "flow-collection") {
            const prev = getPrevProps(parent);
            const start = getFirstKeyStartProps(prev);
            fixFlowSeqItems(fc);
            const sep = fc.end.splice(1, fc.end.length);
            sep.push(this.sourceToken);
            const map = {
              type: "block-map",
              offset: fc.offset,
              indent: fc.indent,
              items: [{ start, key: fc, sep }]
            };
            this.onKeyLine = true;
            this.stack[this.stack.length - 1] = map;
          } else {
            yield* this.lineEnd(fc);
          }
        }
      }
      flowScalar(type) {
        if (this.onNewLine) {
          let nl = this.source.indexOf("\n") + 1;
          while (nl !== 0) {
            this.onNewLine(this.offset + nl);
            nl = this.source.indexOf("\n", nl) + 1;
          }
        }
        return {
          type,
          offset: this.offset,
          indent: this.indent,
          source: this.source
        };
      }
      startBlockValue(parent) {
        switch (this.type) {
          case "alias":
          case "scalar":
          case "single-quoted-scalar":
          case "double-quoted-scalar":
            return this.flowScalar(this.type);
          case "block-scalar-header":
            return {
              type: "block-scalar",
              offset: this.offset,
              indent: this.indent,
              props: [this.sourceToken],
              source: ""
            };
          case "flow-map-start":
          case "flow-seq-start":
            return {
              type: "flow-collection",
              offset: this.offset,
              indent: this.indent,
              start: this.sourceToken,
              items: [],
              end: []
            };
          case "seq-item-ind":
            return {
              type: "block-seq",
              offset: this.offset,
              indent: this.indent,
              items: [{ start: [this.sourceToken] }]
            };
          case "explicit-key-ind": {
            this.onKeyLine = true;
            const prev = getPrevProps(parent);
            const start = getFirstKeyStartProps(prev);
            start.push(this.sourceToken);
            return {
              type: "block-map",
              offset: this.offset,
              indent: this.indent,
              items: [{ start, explicitKey: true }]
            };
          }
          case "map-value-ind": {
            this.onKeyLine = true;
            const prev = getPrevProps(parent);
            const start = getFirstKeyStartProps(prev);
            return {
              type: "block-map",
              offset: this.offset,
              indent: this.indent,
              items: [{ start, key: null, sep: [this.sourceToken] }]
            };
          }
        }
        return null;
      }
      atIndentedComment(start, indent) {
        if (this.type !== "comment")
          return false;
        if (this.indent <= indent)
          return false;
        return start.every((st) => st.type === "newline" || st.type === "space");
      }
      *documentEnd(docEnd) {
        if (this.type !== "doc-mode") {
          if (docEnd.end)
            docEnd.end.push(this.sourceToken);
          else
            docEnd.end = [this.sourceToken];
          if (this.type === "newline")
            yield* this.pop();
        }
      }
      *lineEnd(token) {
        switch (this.type) {
          case "comma":
          case "doc-start":
          case "doc-end":
          case "flow-seq-end":
          case "flow-map-end":
          case "map-value-ind":
            yield* this.pop();
            yield* this.step();
            break;
          case "newline":
            this.onKeyLine = false;
          // fallthrough
          case "space":
          case "comment":
          default:
            if (token.end)
              token.end.push(this.sourceToken);
            else
              token.end = [this.sourceToken];
            if (this.type === "newline")
              yield* this.pop();
        }
      }
    };
    exports.Parser = Parser;
  }
});

// node_modules/yaml/dist/public-api.js
var require_public_api = __commonJS({
  "node_modules/yaml/dist/public-api.js"(exports) {
    "use strict";
    var composer = require_composer();
    var Document = require_Document();
    var errors = require_errors();
    var log = require_log();
    var identity = require_identity();
    var lineCounter = require_line_counter();
    var parser = require_parser();
    function parseOptions(options) {
      const prettyErrors = options.prettyErrors !== false;
      const lineCounter$1 = options.lineCounter || prettyErrors && new lineCounter.LineCounter() || null;
      return { lineCounter: lineCounter$1, prettyErrors };
    }
    function parseAllDocuments2(source, options = {}) {
      const { lineCounter: lineCounter2, prettyErrors } = parseOptions(options);
      const parser$1 = new parser.Parser(lineCounter2?.addNewLine);
      const composer$1 = new composer.Composer(options);
      const docs = Array.from(composer$1.compose(parser$1.parse(source)));
      if (prettyErrors && lineCounter2)
        for (const doc of docs) {
          doc.errors.forEach(errors.prettifyError(source, lineCounter2));
          doc.warnings.forEach(errors.prettifyError(source, lineCounter2));
        }
      if (docs.length > 0)
        return docs;
      return Object.assign([], { empty: true }, composer$1.streamInfo());
    }
    function parseDocument2(source, options = {}) {
      const { lineCounter: lineCounter2, prettyErrors } = parseOptions(options);
      const parser$1 = new parser.Parser(lineCounter2?.addNewLine);
      const composer$1 = new composer.Composer(options);
      let doc = null;
      for (const _doc of composer$1.compose(parser$1.parse(source), true, source.length)) {
        if (!doc)
          doc = _doc;
        else if (doc.options.logLevel !== "silent") {
          doc.errors.push(new errors.YAMLParseError(_doc.range.slice(0, 2), "MULTIPLE_DOCS", "Source contains multiple documents; please use YAML.parseAllDocuments()"));
          break;
        }
      }
      if (prettyErrors && lineCounter2) {
        doc.errors.forEach(errors.prettifyError(source, lineCounter2));
        doc.warnings.forEach(errors.prettifyError(source, lineCounter2));
      }
      return doc;
    }
    function parse(src, reviver, options) {
      let _reviver = void 0;
      if (typeof reviver === "function") {
        _reviver = reviver;
      } else if (options === void 0 && reviver && typeof reviver === "object") {
        options = reviver;
      }
      const doc = parseDocument2(src, options);
      if (!doc)
        return null;
      doc.warnings.forEach((warning) => log.warn(doc.options.logLevel, warning));
      if (doc.errors.length > 0) {
        if (doc.options.logLevel !== "silent")
          throw doc.errors[0];
        else
          doc.errors = [];
      }
      return doc.toJS(Object.assign({ reviver: _reviver }, options));
    }
    function stringify(value, replacer, options) {
      let _replacer = null;
      if (typeof replacer === "function" || Array.isArray(replacer)) {
        _replacer = replacer;
      } else if (options === void 0 && replacer) {
        options = replacer;
      }
      if (typeof options === "string")
        options = options.length;
      if (typeof options === "number") {
        const indent = Math.round(options);
        options = indent < 1 ? void 0 : indent > 8 ? { indent: 8 } : { indent };
      }
      if (value === void 0) {
        const { keepUndefined } = options ?? replacer ?? {};
        if (!keepUndefined)
          return void 0;
      }
      if (identity.isDocument(value) && !_replacer)
        return value.toString(options);
      return new Document.Document(value, _replacer, options).toString(options);
    }
    exports.parse = parse;
    exports.parseAllDocuments = parseAllDocuments2;
    exports.parseDocument = parseDocument2;
    exports.stringify = stringify;
  }
});

// node_modules/yaml/dist/index.js
var require_dist = __commonJS({
  "node_modules/yaml/dist/index.js"(exports) {
    "use strict";
    var composer = require_composer();
    var Document = require_Document();
    var Schema = require_Schema();
    var errors = require_errors();
    var Alias = require_Alias();
    var identity = require_identity();
    var Pair = require_Pair();
    var Scalar = require_Scalar();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var cst = require_cst();
    var lexer = require_lexer();
    var lineCounter = require_line_counter();
    var parser = require_parser();
    var publicApi = require_public_api();
    var visit = require_visit();
    exports.Composer = composer.Composer;
    exports.Document = Document.Document;
    exports.Schema = Schema.Schema;
    exports.YAMLError = errors.YAMLError;
    exports.YAMLParseError = errors.YAMLParseError;
    exports.YAMLWarning = errors.YAMLWarning;
    exports.Alias = Alias.Alias;
    exports.isAlias = identity.isAlias;
    exports.isCollection = identity.isCollection;
    exports.isDocument = identity.isDocument;
    exports.isMap = identity.isMap;
    exports.isNode = identity.isNode;
    exports.isPair = identity.isPair;
    exports.isScalar = identity.isScalar;
    exports.isSeq = identity.isSeq;
    exports.Pair = Pair.Pair;
    exports.Scalar = Scalar.Scalar;
    exports.YAMLMap = YAMLMap.YAMLMap;
    exports.YAMLSeq = YAMLSeq.YAMLSeq;
    exports.CST = cst;
    exports.Lexer = lexer.Lexer;
    exports.LineCounter = lineCounter.LineCounter;
    exports.Parser = parser.Parser;
    exports.parse = publicApi.parse;
    exports.parseAllDocuments = publicApi.parseAllDocuments;
    exports.parseDocument = publicApi.parseDocument;
    exports.stringify = publicApi.stringify;
    exports.visit = visit.visit;
    exports.visitAsync = visit.visitAsync;
  }
});

// src/cli/main.ts
import { join as join2 } from "node:path";
import { parseArgs } from "node:util";

// src/errors.ts
var MergeopsError = class extends Error {
  code;
  hint;
  constructor(code, message, hint) {
    super(message);
    this.name = "MergeopsError";
    this.code = code;
    this.hint = hint;
  }
  /** Human-readable, multi-line report for the CLI. */
  format() {
    return `error: ${this.message}
  hint: ${this.hint}`;
  }
};
var RecipeError = class extends MergeopsError {
  pos;
  /** The text of the offending line, when known. */
  sourceLine;
  constructor(message, hint, pos, sourceLine) {
    super("RECIPE", `${pos.file}:${pos.line}:${pos.col}: ${message}`, hint);
    this.name = "RecipeError";
    this.pos = pos;
    this.sourceLine = sourceLine;
  }
  format() {
    const lines = [`error: ${this.message}`];
    if (this.sourceLine !== void 0) {
      const gutter = String(this.pos.line);
      lines.push(`  ${gutter} | ${this.sourceLine}`);
      lines.push(`  ${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, this.pos.col - 1))}^`);
    }
    lines.push(`  hint: ${this.hint}`);
    return lines.join("\n");
  }
};
var SafetensorsError = class extends MergeopsError {
  file;
  constructor(file, message, hint) {
    super("BAD_SAFETENSORS", `${file}: ${message}`, hint);
    this.name = "SafetensorsError";
    this.file = file;
  }
};

// src/execute/execute.ts
import {
  closeSync as closeSync2,
  copyFileSync,
  existsSync,
  fsyncSync as fsyncSync2,
  ftruncateSync,
  mkdirSync,
  openSync as openSync2,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync
} from "node:fs";
import { availableParallelism as availableParallelism2 } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

// src/kernels/pool.ts
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

// src/kernels/wasm-module.ts
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
var KERNELS_WASM_URL = new URL("./kernels.wasm", import.meta.url);
function missing(err2) {
  const path2 = fileURLToPath(KERNELS_WASM_URL);
  return new Error(
    `cannot read the WebAssembly kernels at ${path2} (${err2.message}). Run \`npm run build:wasm\` and \`npm run build\` (the build copies dist/kernels.wasm there).`
  );
}
var compiled;
function loadKernelModule() {
  if (!compiled) {
    compiled = readFile(KERNELS_WASM_URL).then(
      (bytes2) => WebAssembly.compile(bytes2),
      (err2) => {
        throw missing(err2);
      }
    );
    compiled.catch(() => {
      compiled = void 0;
    });
  }
  return compiled;
}

// src/kernels/pool.ts
var KernelError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "KernelError";
  }
};
var KernelPool = class _KernelPool {
  slots;
  pending = /* @__PURE__ */ new Map();
  queue = [];
  nextId = 1;
  closed = false;
  constructor(workers) {
    this.slots = workers.map((worker) => ({ worker, busy: false }));
    for (const slot of this.slots) {
      slot.worker.on("message", (m) => this.onMessage(slot, m));
      slot.worker.on("error", (e) => this.failAll(new KernelError(`kernel worker crashed: ${e.message}`)));
    }
  }
  /** Starts `threads` workers (default: one per core). */
  static async create(threads = availableParallelism()) {
    const module = await loadKernelModule();
    const url = new URL("./worker.js", import.meta.url);
    const n = Math.max(1, Math.floor(threads));
    const workers = Array.from({ length: n }, () => new Worker(url, { workerData: { module } }));
    return new _KernelPool(workers);
  }
  get size() {
    return this.slots.length;
  }
  /** Runs one job on the next free worker. */
  run(job) {
    return this.submit({ job });
  }
  /** Closes every file the workers hold open. Call when no job is running (before fsync and rename). */
  async closeFiles() {
    await Promise.all(this.slots.map((slot) => this.submitTo(slot, { close: true })));
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new KernelError("kernel pool closed"));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
  submit(msg) {
    if (this.closed) return Promise.reject(new KernelError("kernel pool closed"));
    return new Promise((resolve2, reject) => {
      this.queue.push({ id: this.nextId++, msg, pending: { resolve: resolve2, reject } });
      this.pump();
    });
  }
  /** Sends a control message to one idle worker. */
  submitTo(slot, msg) {
    if (slot.busy) return Promise.reject(new KernelError("closeFiles() called while jobs are running"));
    return new Promise((resolve2, reject) => {
      const id = this.nextId++;
      slot.busy = true;
      this.pending.set(id, { slot, p: { resolve: resolve2, reject } });
      slot.worker.postMessage({ id, ...msg });
    });
  }
  pump() {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const q = this.queue.shift();
      slot.busy = true;
      this.pending.set(q.id, { slot, p: q.pending });
      slot.worker.postMessage({ id: q.id, ...q.msg });
    }
  }
  onMessage(slot, m) {
    const entry = this.pending.get(m.id);
    if (!entry) return;
    this.pending.delete(m.id);
    slot.busy = false;
    if (m.error !== void 0) entry.p.reject(new KernelError(m.error));
    else entry.p.resolve({ bytesRead: m.bytesRead ?? 0, bytesWritten: m.bytesWritten ?? 0, stats: m.stats });
    this.pump();
  }
  failAll(e) {
    for (const [, entry] of this.pending) entry.p.reject(e);
    this.pending.clear();
    for (const q of this.queue.splice(0)) q.pending.reject(e);
  }
};

// src/execute/budget.ts
import { totalmem } from "node:os";
var BASELINE_BYTES = 96 * 1024 * 1024;
var PER_WORKER_BYTES = 24 * 1024 * 1024;
var MAX_CHUNK_BYTES = 64 * 1024 * 1024;
function minMaxMemory(threads) {
  return BASELINE_BYTES + threads * (PER_WORKER_BYTES + 16 * 1024);
}
function defaultMaxMemory() {
  return Math.min(Math.floor(totalmem() / 2), 16 * 1024 ** 3);
}
function workerShare(maxMemory, threads) {
  return Math.max(4096, Math.floor((maxMemory - BASELINE_BYTES - threads * PER_WORKER_BYTES) / threads));
}
function workerDataBudget(maxMemory, threads) {
  return Math.min(MAX_CHUNK_BYTES, workerShare(maxMemory, threads));
}
function programWholeBudget(maxMemory, threads) {
  return Math.min(workerShare(maxMemory, threads), 3 * 1024 ** 3);
}

// src/execute/flush.ts
import { closeSync, fdatasync, fsyncSync, openSync } from "node:fs";
var ShardFlusher = class {
  constructor(paths, every = 256 * 1024 * 1024) {
    this.every = every;
    this.fds = paths.map((p) => openSync(p, "r+"));
  }
  fds;
  sinceFlush = 0;
  pending = Promise.resolve();
  busy = false;
  /** Counts written bytes; starts a flush when enough have accumulated and none is running. */
  written(bytes2) {
    this.sinceFlush += bytes2;
    if (this.sinceFlush < this.every || this.busy) return;
    this.sinceFlush = 0;
    this.busy = true;
    this.pending = Promise.all(this.fds.map((fd) => new Promise((res) => fdatasync(fd, () => res())))).then(() => {
      this.busy = false;
    });
  }
  /** Waits for a running flush, then makes every shard durable and closes them. */
  async finish() {
    await this.pending;
    for (const fd of this.fds) fsyncSync(fd);
    this.close();
  }
  close() {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
};

// src/formats/dtype.ts
var DTYPES = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"];
var DTYPE_SIZE = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1
};
function isDType(s) {
  return DTYPES.includes(s);
}
function isFloatDType(d) {
  return d === "F32" || d === "F16" || d === "BF16";
}
var TORCH_DTYPE_NAMES = {
  float32: "F32",
  float: "F32",
  fp32: "F32",
  float16: "F16",
  half: "F16",
  fp16: "F16",
  bfloat16: "BF16",
  bf16: "BF16"
};
function torchDTypeName(d) {
  return d === "F32" ? "float32" : d === "F16" ? "float16" : "bfloat16";
}
function parseTorchDType(name) {
  const n = name.startsWith("torch.") ? name.slice(6) : name;
  return TORCH_DTYPE_NAMES[n];
}
var f32 = new Float32Array(1);
var u32 = new Uint32Array(f32.buffer);

// src/methods/programs.ts
var FACTORIES = /* @__PURE__ */ new Map([]);
function programFor(method, params, shape) {
  const f = FACTORIES.get(method);
  if (!f) throw new Error(`no tensor program for merge method '${method}'`);
  return f(params, shape);
}

// src/execute/tensor-jobs.ts
function refInput(r) {
  const p = r.producer;
  if (p) return { kind: "op", op: p.op, inputs: p.inputs.map(refInput), shape: p.shape, tensor: p.name, dtype: p.dtype };
  return { kind: "tensor", source: { kind: "file", path: r.file }, start: r.start, dtype: r.dtype };
}
var numelOf = (shape) => shape.reduce((a, b) => a * b, 1);
var rowLenOf = (shape) => shape.length > 1 ? shape[shape.length - 1] : numelOf(shape);
function programOf(op, shape, k, tensor) {
  return programFor(op.method, op.params, { shape, numel: numelOf(shape), rowLen: rowLenOf(shape), k, tensor });
}
function inputBytes(input, asF32) {
  switch (input.kind) {
    case "tensor":
      return DTYPE_SIZE[input.dtype] + (asF32 && input.dtype !== "F32" ? 4 : 0);
    case "op":
      return opBytes(input.op, input.inputs, input.dtype) + (asF32 && input.dtype !== "F32" ? 4 : 0);
    case "gather":
    case "lora":
      return 12;
  }
}
function opBytes(op, inputs, outDType) {
  const program = op.kind === "program";
  return inputs.reduce((a, i) => a + inputBytes(i, program), 0) + DTYPE_SIZE[outDType] + (program ? 4 : 0);
}
function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}
function quantumOf(inputs) {
  let q = 1;
  for (const i of inputs) {
    if (i.kind !== "op") continue;
    q = lcm(q, quantumOf(i.inputs));
    if (i.op.kind === "program") q = lcm(q, programOf(i.op, i.shape, i.inputs.length, i.tensor).quantum);
  }
  return q;
}
var lcm = (a, b) => a / gcd(a, b) * b;
function chunkStep(shape, perElement, perWorker, quantum) {
  const numel = numelOf(shape);
  const fit = Math.max(1, Math.floor(perWorker / perElement));
  if (fit >= numel) return Math.max(1, numel);
  if (quantum > 1) return Math.max(quantum, Math.floor(fit / quantum) * quantum);
  const row = shape.length > 1 ? shape[shape.length - 1] : 1;
  const whole = row > 1 && fit >= row ? Math.floor(fit / row) * row : fit;
  return Math.max(16, whole - whole % 16);
}
function chunks(numel, step) {
  const out = [];
  for (let e = 0; e < numel; e += step) out.push({ first: e, n: Math.min(step, numel - e) });
  return out;
}
async function computeStats(run, op, inputs, shape, tensor, perWorker) {
  const prog = programOf(op, shape, inputs.length, tensor);
  const perElement = opBytes(op, inputs, "F32");
  const step = chunkStep(shape, perElement, perWorker, lcm(prog.quantum, quantumOf(inputs)));
  const parts = chunks(numelOf(shape), step);
  const stats = [];
  for (let pass = 0; pass < prog.passes.length; pass++) {
    const got = await Promise.all(parts.map(async ({ first, n }) => {
      const r = await run({ op, inputs, shape, tensor, first, n, step: { mode: "pass", pass, stats }, out: { file: "", start: 0, dtype: "F32" } });
      if (!r.stats) throw new Error(`internal: statistics pass ${pass} of ${tensor} returned nothing`);
      return { first, n, data: r.stats };
    }));
    stats.push(prog.passes[pass].reduce(got));
  }
  return stats;
}
async function prepareNested(run, inputs, perWorker) {
  for (const i of inputs) {
    if (i.kind !== "op") continue;
    await prepareNested(run, i.inputs, perWorker);
    if (i.op.kind === "program" && !i.stats) i.stats = await computeStats(run, i.op, i.inputs, i.shape, i.tensor, perWorker);
  }
}
async function runTensor(run, t, budget, shardPath) {
  const inputs = t.inputs.map(refInput);
  await prepareNested(run, inputs, budget.perWorker);
  const numel = numelOf(t.shape);
  const base = { op: t.op, inputs, shape: t.shape, tensor: t.name, out: { file: shardPath, start: t.start, dtype: t.dtype } };
  const perElement = opBytes(t.op, inputs, t.dtype);
  if (t.op.kind !== "program") {
    const step2 = chunkStep(t.shape, perElement, budget.perWorker, quantumOf(inputs));
    await Promise.all(chunks(numel, step2).map(({ first, n }) => run({ ...base, first, n })));
    return;
  }
  const prog = programOf(t.op, t.shape, inputs.length, t.name);
  if (numel * perElement + (prog.scratchBytes?.(numel) ?? 0) <= budget.whole) {
    await run({ ...base, step: { mode: "whole" }, first: 0, n: numel });
    return;
  }
  const stats = await computeStats(run, t.op, inputs, t.shape, t.name, budget.perWorker);
  const step = chunkStep(t.shape, perElement, budget.perWorker, lcm(prog.quantum, quantumOf(inputs)));
  await Promise.all(chunks(numel, step).map(({ first, n }) => run({ ...base, first, n, step: { mode: "apply", stats } })));
}

// src/execute/execute.ts
function checkOutDir(outDir, overwrite) {
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !overwrite) {
    throw new MergeopsError(
      "USAGE",
      `output folder ${outDir} exists and is not empty`,
      "choose another --out folder, or pass --overwrite to replace it"
    );
  }
}
async function executePlan(plan, opts) {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  checkOutDir(outDir, opts.overwrite ?? false);
  const maxMemory = opts.maxMemory ?? defaultMaxMemory();
  const threads = opts.threads ?? availableParallelism2();
  if (maxMemory < minMaxMemory(threads)) {
    throw new MergeopsError(
      "USAGE",
      `--max-memory ${maxMemory} bytes is too small for ${threads} worker(s)`,
      `give at least ${Math.ceil(minMaxMemory(threads) / 2 ** 20)} MiB, or fewer --threads`
    );
  }
  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = join(dirname(outDir), `.${basename(outDir)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  let pool;
  let flusher;
  try {
    const shardPaths = plan.shards.map((s) => join(tmp, s.fileName));
    plan.shards.forEach((s, i) => {
      const fd = openSync2(shardPaths[i], "w");
      writeSync(fd, s.header, 0, s.header.length, 0);
      ftruncateSync(fd, s.size);
      closeSync2(fd);
    });
    pool = await KernelPool.create(threads);
    const perWorker = workerDataBudget(maxMemory, pool.size);
    const progress = {
      tensorsDone: 0,
      tensorsTotal: plan.tensors.length,
      bytesRead: 0,
      bytesWritten: 0,
      bytesTotal: plan.estimates.inputBytes,
      elapsed: 0,
      current: ""
    };
    flusher = new ShardFlusher(shardPaths);
    await runAll(
      pool,
      plan,
      { perWorker, whole: programWholeBudget(maxMemory, pool.size) },
      shardPaths,
      new Tracker(progress, t0, opts.onProgress, flusher)
    );
    await pool.closeFiles();
    await flusher.finish();
    if (plan.indexJson) writeFileSync(join(tmp, "model.safetensors.index.json"), plan.indexJson);
    writeFileSync(join(tmp, "config.json"), JSON.stringify(plan.outConfig, null, 2) + "\n");
    for (const f of plan.donor.files) copyFileSync(join(plan.donor.dir, f), join(tmp, f));
    writeFileSync(join(tmp, "mergekit_config.yml"), plan.recipe.text.endsWith("\n") ? plan.recipe.text : plan.recipe.text + "\n");
    if (plan.stages?.length) writeFileSync(join(tmp, "mergeops_recipe.yml"), plan.recipe.lines.join("\n").trimEnd() + "\n");
    fsyncFile(tmp);
    replaceDir(tmp, outDir);
    const files = readdirSync(outDir).sort().map((name) => ({ name, bytes: statSync(join(outDir, name)).size }));
    return {
      outDir,
      files,
      bytesRead: progress.bytesRead,
      bytesWritten: progress.bytesWritten,
      seconds: (performance.now() - t0) / 1e3
    };
  } catch (e) {
    flusher?.close();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    await pool?.close();
  }
}
var Tracker = class {
  constructor(progress, t0, onProgress, flusher) {
    this.progress = progress;
    this.t0 = t0;
    this.onProgress = onProgress;
    this.flusher = flusher;
  }
  lastReport = 0;
  job(r) {
    this.flusher.written(r.bytesWritten);
    this.progress.bytesRead += r.bytesRead;
    this.progress.bytesWritten += r.bytesWritten;
    this.report(false);
  }
  tensor(name) {
    this.progress.tensorsDone++;
    this.progress.current = name;
    this.report(this.progress.tensorsDone === this.progress.tensorsTotal);
  }
  report(force) {
    const now = performance.now();
    if (this.onProgress && (force || now - this.lastReport > 200)) {
      this.lastReport = now;
      this.progress.elapsed = (now - this.t0) / 1e3;
      this.onProgress({ ...this.progress });
    }
  }
};
async function runAll(pool, plan, budget, shardPaths, tracker) {
  const window = pool.size * 2;
  const inFlight = /* @__PURE__ */ new Set();
  let failure;
  for (const t of plan.tensors) {
    if (failure) break;
    const run = async (job) => {
      const r = await pool.run(job);
      tracker.job(r);
      return r;
    };
    const p = runTensor(run, t, budget, shardPaths[t.shard]).then(() => tracker.tensor(t.name), (e) => {
      failure ??= e;
    }).finally(() => {
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) {
    const msg = failure instanceof Error ? failure.message : String(failure);
    throw new MergeopsError("IO", `merge failed: ${msg}`, "check that the input files are complete and the output disk has room");
  }
}
function fsyncFile(path2) {
  const fd = openSync2(path2, "r");
  try {
    fsyncSync2(fd);
  } finally {
    closeSync2(fd);
  }
}
function replaceDir(tmp, outDir) {
  if (existsSync(outDir)) {
    const old = `${tmp}.old`;
    renameSync(outDir, old);
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, outDir);
  }
  fsyncFile(dirname(outDir));
}

// src/formats/safetensors.ts
var MAX_HEADER_BYTES = 100 * 1024 * 1024;
function tensorByteSize(dtype, shape) {
  let n = DTYPE_SIZE[dtype];
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new MergeopsError(
        "INTERNAL",
        `invalid tensor dimension ${String(d)} in shape [${shape.join(", ")}]`,
        "shapes are arrays of non-negative integers"
      );
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) {
    throw new MergeopsError(
      "INTERNAL",
      `tensor of shape [${shape.join(", ")}] is too large (${n} bytes)`,
      "tensor byte sizes must stay below 2^53"
    );
  }
  return n;
}
function buildSafetensorsHeader(tensors, metadata) {
  const meta = metadata ?? { format: "pt" };
  const obj = {};
  const seen = /* @__PURE__ */ new Set();
  if (Object.keys(meta).length > 0) obj["__metadata__"] = { ...meta };
  let offset = 0;
  const rel = [];
  for (const t of tensors) {
    if (t.name === "__metadata__") {
      throw new MergeopsError("INTERNAL", "a tensor cannot be named __metadata__", "rename the tensor");
    }
    if (seen.has(t.name)) {
      throw new MergeopsError(
        "INTERNAL",
        `duplicate tensor name ${JSON.stringify(t.name)} in one safetensors file`,
        "each tensor name must appear once per file"
      );
    }
    if (!isDType(t.dtype)) {
      throw new MergeopsError(
        "INTERNAL",
        `unknown dtype ${JSON.stringify(t.dtype)} for tensor ${t.name}`,
        `use one of ${DTYPES.join(", ")}`
      );
    }
    seen.add(t.name);
    const size = tensorByteSize(t.dtype, t.shape);
    const begin = offset;
    const end = begin + size;
    if (!Number.isSafeInteger(end)) {
      throw new MergeopsError("INTERNAL", "safetensors data section exceeds 2^53 bytes", "split the model into shards");
    }
    obj[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [begin, end] };
    rel.push({ spec: t, begin, end });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + headerLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerLength), true);
  header.set(json, 8);
  header.fill(32, 8 + json.length);
  const dataStart = 8 + headerLength;
  const entries = rel.map(({ spec, begin, end }) => ({
    name: spec.name,
    dtype: spec.dtype,
    shape: [...spec.shape],
    start: dataStart + begin,
    end: dataStart + end
  }));
  return { header, dataStart, entries };
}
var HEADER_HINT = "the file is not a valid safetensors file (truncated download or a different format?); re-download it, or re-save the model with the `safetensors` library";
function parseHeaderLength(first8, fileSize, file) {
  if (fileSize < 8 || first8.length < 8) {
    throw new SafetensorsError(
      file,
      `file is truncated: ${Math.min(fileSize, first8.length)} bytes, but a safetensors file starts with an 8-byte header length`,
      HEADER_HINT
    );
  }
  const big = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      file,
      `header length ${big} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit (100 MiB, as in the Rust safetensors crate)`,
      HEADER_HINT
    );
  }
  const len = Number(big);
  if (len < 2) {
    throw new SafetensorsError(file, `header length ${len} is too small to hold a JSON object`, HEADER_HINT);
  }
  if (8 + len > fileSize) {
    throw new SafetensorsError(
      file,
      `header length ${len} runs past the end of the file (8 + ${len} = ${8 + len} > file size ${fileSize})`,
      HEADER_HINT + "; a file cut short is usually an interrupted download"
    );
  }
  return len;
}
function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `a string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "\u2026" : v)}`;
  if (typeof v === "number") return `the number ${v}`;
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
function isPlainObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
var ENTRY_HINT = 'each tensor entry must be {"dtype": "<DTYPE>", "shape": [..], "data_offsets": [begin, end]}; the file was written by a non-conforming tool or is corrupted: re-save it with the `safetensors` library';
function parseSafetensorsHeader(json, headerLength, fileSize, file) {
  if (json.length !== headerLength) {
    throw new SafetensorsError(
      file,
      `header is truncated: expected ${headerLength} bytes of JSON, got ${json.length}`,
      HEADER_HINT
    );
  }
  const dataStart = 8 + headerLength;
  if (dataStart > fileSize) {
    throw new SafetensorsError(
      file,
      `header length ${headerLength} runs past the end of the file (file size ${fileSize})`,
      HEADER_HINT
    );
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(json);
  } catch {
    throw new SafetensorsError(file, "header is not valid UTF-8", HEADER_HINT);
  }
  if (text.charCodeAt(0) !== 123) {
    throw new SafetensorsError(
      file,
      `header is not a JSON object (it starts with ${JSON.stringify(text.slice(0, 16))})`,
      HEADER_HINT
    );
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SafetensorsError(file, `header is not valid JSON: ${why.slice(0, 200)}`, HEADER_HINT);
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError(file, `header is not a JSON object (got ${describe(parsed)})`, HEADER_HINT);
  }
  let metadata = null;
  const tensors = [];
  const dataSize = fileSize - dataStart;
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "__metadata__") {
      if (value === null) continue;
      if (!isPlainObject(value)) {
        throw new SafetensorsError(
          file,
          `__metadata__ must be an object of strings, got ${describe(value)}`,
          "safetensors metadata maps string keys to string values"
        );
      }
      const m = [];
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") {
          throw new SafetensorsError(
            file,
            `__metadata__[${JSON.stringify(k)}] must be a string, got ${describe(v)}`,
            "safetensors metadata maps string keys to string values; store numbers and objects as strings"
          );
        }
        m.push([k, v]);
      }
      metadata = Object.fromEntries(m);
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(value)) {
      throw new SafetensorsError(file, `${where}: entry must be an object, got ${describe(value)}`, ENTRY_HINT);
    }
    for (const k of Object.keys(value)) {
      if (k !== "dtype" && k !== "shape" && k !== "data_offsets") {
        throw new SafetensorsError(file, `${where}: unexpected key ${JSON.stringify(k)}`, ENTRY_HINT);
      }
    }
    const { dtype, shape, data_offsets: offsets } = value;
    if (dtype === void 0 || shape === void 0 || offsets === void 0) {
      const missing2 = ["dtype", "shape", "data_offsets"].filter((k) => value[k] === void 0);
      throw new SafetensorsError(file, `${where}: missing ${missing2.join(", ")}`, ENTRY_HINT);
    }
    if (typeof dtype !== "string" || !isDType(dtype)) {
      throw new SafetensorsError(
        file,
        `${where}: unknown dtype ${typeof dtype === "string" ? JSON.stringify(dtype.slice(0, 40)) : describe(dtype)}`,
        `mergeops reads the dtypes ${DTYPES.join(", ")}; convert the model (e.g. to bfloat16) before merging`
      );
    }
    if (!Array.isArray(shape)) {
      throw new SafetensorsError(file, `${where}: shape must be an array of integers, got ${describe(shape)}`, ENTRY_HINT);
    }
    let elements = 1;
    let zero = false;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i];
      if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
        throw new SafetensorsError(
          file,
          `${where}: shape[${i}] must be a non-negative integer, got ${describe(d)}`,
          ENTRY_HINT
        );
      }
      if (d === 0) zero = true;
      else if (elements <= Number.MAX_SAFE_INTEGER) elements *= d;
    }
    if (zero) elements = 0;
    if (!Array.isArray(offsets) || offsets.length !== 2) {
      throw new SafetensorsError(
        file,
        `${where}: data_offsets must be [begin, end], got ${Array.isArray(offsets) ? `an array of ${offsets.length}` : describe(offsets)}`,
        ENTRY_HINT
      );
    }
    const [begin, end] = offsets;
    for (const [label, v] of [["begin", begin], ["end", end]]) {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
        throw new SafetensorsError(
          file,
          `${where}: data_offsets ${label} must be a non-negative integer below 2^53, got ${describe(v)}`,
          ENTRY_HINT
        );
      }
    }
    const b = begin;
    const e = end;
    if (b > e) {
      throw new SafetensorsError(file, `${where}: data_offsets begin ${b} is after end ${e}`, ENTRY_HINT);
    }
    const expected = elements * DTYPE_SIZE[dtype];
    if (expected !== e - b) {
      const shown = Number.isSafeInteger(expected) ? String(expected) : "more than 2^53";
      throw new SafetensorsError(
        file,
        `${where}: byte length mismatch: shape [${shape.join(", ")}] \xD7 ${dtype} (${DTYPE_SIZE[dtype]} bytes) = ${shown} bytes, but data_offsets [${b}, ${e}] span ${e - b} bytes`,
        ENTRY_HINT
      );
    }
    if (e > dataSize) {
      throw new SafetensorsError(
        file,
        `${where}: data_offsets [${b}, ${e}] run past the end of the data section (${dataSize} bytes; file size ${fileSize}, data starts at ${dataStart})`,
        "the file is truncated (interrupted download?) or its header is corrupted; re-download it"
      );
    }
    tensors.push({ name, dtype, shape, start: dataStart + b, end: dataStart + e });
  }
  tensors.sort((x, y) => x.start - y.start || x.end - y.end);
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1];
    const cur = tensors[i];
    if (cur.start < prev.end) {
      throw new SafetensorsError(
        file,
        `tensors ${JSON.stringify(prev.name)} [${prev.start - dataStart}, ${prev.end - dataStart}] and ${JSON.stringify(cur.name)} [${cur.start - dataStart}, ${cur.end - dataStart}] overlap`,
        "tensor byte ranges in a safetensors file must not overlap; the file is corrupted or was written by a non-conforming tool"
      );
    }
  }
  return { headerLength, dataStart, tensors, metadata };
}
function shardFileName(index, count) {
  if (count === 1) return "model.safetensors";
  const pad = (n) => String(n).padStart(5, "0");
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}
function planShards(tensors, maxShardBytes) {
  if (!(maxShardBytes > 0) || !Number.isFinite(maxShardBytes)) {
    throw new MergeopsError(
      "USAGE",
      `maximum shard size must be a positive number of bytes, got ${maxShardBytes}`,
      "pass a size such as 5B (5 billion bytes), 2GiB or 500M"
    );
  }
  const groups = [];
  let cur = null;
  for (const t of tensors) {
    const size = tensorByteSize(t.dtype, t.shape);
    if (cur === null || cur.tensors.length > 0 && cur.totalBytes + size > maxShardBytes) {
      cur = { tensors: [], totalBytes: 0 };
      groups.push(cur);
    }
    cur.tensors.push(t);
    cur.totalBytes += size;
  }
  if (groups.length === 0) groups.push({ tensors: [], totalBytes: 0 });
  return groups.map((g, i) => ({ fileName: shardFileName(i, groups.length), tensors: g.tensors, totalBytes: g.totalBytes }));
}
var SIZE_UNITS = {
  "": 1,
  k: 1e3,
  m: 1e6,
  b: 1e9,
  g: 1e9,
  t: 1e12,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4
};
var SHARD_SIZE_HINT = "write a byte count such as 5000000000, or a number with a unit: k, M, B (thousand, million, billion, as mergekit reads them: 5B = 5e9 bytes), KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024), e.g. 5B, 500M, 2GiB, 1.5GB";
function parseShardSize(s) {
  if (typeof s === "number") {
    if (Number.isSafeInteger(s) && s > 0) return s;
    throw new MergeopsError("USAGE", `invalid shard size ${s}: must be a positive whole number of bytes`, SHARD_SIZE_HINT);
  }
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(s);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : void 0;
  if (!m || unit === void 0) {
    throw new MergeopsError("USAGE", `invalid shard size ${JSON.stringify(s)}`, SHARD_SIZE_HINT);
  }
  const bytes2 = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes2) || bytes2 < 1) {
    throw new MergeopsError(
      "USAGE",
      `invalid shard size ${JSON.stringify(s)}: must be at least 1 byte and below 2^53`,
      SHARD_SIZE_HINT
    );
  }
  return bytes2;
}
function pyJsonString(s) {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
function byCodePoint(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
function buildIndexJson(weightMap, totalSize, extraMetadata) {
  const meta = [];
  for (const [k, v] of Object.entries(extraMetadata ?? {})) {
    if (k !== "total_size") meta.push([k, pyJsonString(v)]);
  }
  meta.push(["total_size", String(totalSize)]);
  meta.sort((a, b) => byCodePoint(a[0], b[0]));
  const wm = Object.keys(weightMap).sort(byCodePoint).map((k) => [k, pyJsonString(weightMap[k])]);
  const obj = (entries, indent) => entries.length === 0 ? "{}" : "{\n" + entries.map(([k, v]) => `${indent}  ${pyJsonString(k)}: ${v}`).join(",\n") + `
${indent}}`;
  return obj([["metadata", obj(meta, "  ")], ["weight_map", obj(wm, "  ")]], "") + "\n";
}
var INDEX_HINT = 'model.safetensors.index.json must be {"metadata": {...}, "weight_map": {"<tensor name>": "<shard file name>", ...}}; re-download it or regenerate it with transformers';
function parseIndexJson(text, file) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SafetensorsError(file, `index is not valid JSON: ${why.slice(0, 200)}`, INDEX_HINT);
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError(file, `index is not a JSON object (got ${describe(parsed)})`, INDEX_HINT);
  }
  const wm = parsed["weight_map"];
  if (!isPlainObject(wm)) {
    throw new SafetensorsError(
      file,
      wm === void 0 ? 'index has no "weight_map"' : `"weight_map" must be an object, got ${describe(wm)}`,
      INDEX_HINT
    );
  }
  const out = [];
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== "string" || shard.length === 0) {
      throw new SafetensorsError(
        file,
        `weight_map[${JSON.stringify(name)}] must be a shard file name, got ${describe(shard)}`,
        INDEX_HINT
      );
    }
    if (shard.includes("/") || shard.includes("\\") || shard === "." || shard === ".." || shard.includes("\0")) {
      throw new SafetensorsError(
        file,
        `weight_map[${JSON.stringify(name)}] = ${JSON.stringify(shard)} is not a plain file name`,
        "shards must sit next to the index; paths with directories are refused"
      );
    }
    out.push([name, shard]);
  }
  return Object.fromEntries(out);
}

// src/pipeline.ts
import { readFileSync } from "node:fs";

// src/hub/resolve.ts
import { existsSync as existsSync2, statSync as statSync2 } from "node:fs";
import { dirname as dirname2, isAbsolute, resolve as resolvePath } from "node:path";

// src/arch/table.ts
var L = "model.layers.${layer_index}";
var EMBED = { name: "model.embed_tokens.weight", isEmbed: true };
var FINAL_NORM = { name: "model.norm.weight" };
var LM_HEAD = {
  name: "lm_head.weight",
  isEmbed: true,
  optional: true,
  tiedNames: ["model.embed_tokens.weight"]
};
var w = (suffix) => ({ name: `${L}.${suffix}` });
var LLAMA_LAYER = [
  w("input_layernorm.weight"),
  w("self_attn.q_proj.weight"),
  w("self_attn.k_proj.weight"),
  w("self_attn.v_proj.weight"),
  w("self_attn.o_proj.weight"),
  w("post_attention_layernorm.weight"),
  w("mlp.gate_proj.weight"),
  w("mlp.up_proj.weight"),
  w("mlp.down_proj.weight")
];
var ARCHITECTURES = [
  {
    id: "llama",
    architectures: ["LlamaForCausalLM", "LLaMaForCausalLM"],
    modelTypes: ["llama"],
    preWeights: [EMBED],
    layerWeights: LLAMA_LAYER,
    postWeights: [
      FINAL_NORM,
      // Some Llama conversions nest the head under `model.` (mergekit's llama.json lists the alias).
      { ...LM_HEAD, aliases: ["model.lm_head.weight"] }
    ],
    numLayersKey: "num_hidden_layers",
    vocabSizeKey: "vocab_size"
  },
  {
    id: "mistral",
    architectures: ["MistralForCausalLM"],
    modelTypes: ["mistral"],
    preWeights: [EMBED],
    layerWeights: LLAMA_LAYER,
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: "num_hidden_layers",
    vocabSizeKey: "vocab_size"
  },
  {
    id: "qwen2",
    architectures: ["Qwen2ForCausalLM"],
    modelTypes: ["qwen2"],
    preWeights: [EMBED],
    layerWeights: [
      w("input_layernorm.weight"),
      w("self_attn.q_proj.weight"),
      w("self_attn.q_proj.bias"),
      w("self_attn.k_proj.weight"),
      w("self_attn.k_proj.bias"),
      w("self_attn.v_proj.weight"),
      w("self_attn.v_proj.bias"),
      w("self_attn.o_proj.weight"),
      w("post_attention_layernorm.weight"),
      w("mlp.gate_proj.weight"),
      w("mlp.up_proj.weight"),
      w("mlp.down_proj.weight")
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: "num_hidden_layers",
    vocabSizeKey: "vocab_size"
  },
  {
    id: "qwen3",
    architectures: ["Qwen3ForCausalLM"],
    modelTypes: ["qwen3"],
    preWeights: [EMBED],
    layerWeights: [
      w("input_layernorm.weight"),
      w("self_attn.q_proj.weight"),
      w("self_attn.q_norm.weight"),
      w("self_attn.k_proj.weight"),
      w("self_attn.k_norm.weight"),
      w("self_attn.v_proj.weight"),
      w("self_attn.o_proj.weight"),
      w("post_attention_layernorm.weight"),
      w("mlp.gate_proj.weight"),
      w("mlp.up_proj.weight"),
      w("mlp.down_proj.weight")
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: "num_hidden_layers",
    vocabSizeKey: "vocab_size"
  },
  {
    id: "gemma2",
    architectures: ["Gemma2ForCausalLM"],
    modelTypes: ["gemma2"],
    preWeights: [EMBED],
    layerWeights: [
      w("input_layernorm.weight"),
      w("self_attn.q_proj.weight"),
      w("self_attn.k_proj.weight"),
      w("self_attn.v_proj.weight"),
      w("self_attn.o_proj.weight"),
      w("post_attention_layernorm.weight"),
      w("pre_feedforward_layernorm.weight"),
      w("mlp.gate_proj.weight"),
      w("mlp.up_proj.weight"),
      w("mlp.down_proj.weight"),
      w("post_feedforward_layernorm.weight")
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: "num_hidden_layers",
    vocabSizeKey: "vocab_size"
  },
  {
    id: "gemma3_text",
    architectures: ["Gemma3ForCausalLM"],
    modelTypes: ["gemma3_text"],
    preWeights: [EMBED],
    layerWeights: [
      w("input_layernorm.weight"),
      w("self_attn.q_proj.weight"),
      w("self_attn.q_norm.weight"),
      w("self_attn.k_proj.weight"),
      w("self_attn.k_norm.weight"),
      w("self_attn.v_proj.weight"),
      w("self_attn.o_proj.weight"),
      w("post_attention_layernorm.weight"),
      w("pre_feedforward_layernorm.weight"),
      w("mlp.gate_proj.weight"),
      w("mlp.up_proj.weight"),
      w("mlp.down_proj.weight"),
      w("post_feedforward_layernorm.weight")
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: "num_hidden_layers",
    vocabSizeKey: "vocab_size"
  },
  {
    id: "phi3",
    architectures: ["Phi3ForCausalLM"],
    modelTypes: ["phi3"],
    preWeights: [EMBED],
    layerWeights: [
      w("input_layernorm.weight"),
      // rows: q (heads × head_dim), then k and v (kv_heads × head_dim each)
      w("self_attn.qkv_proj.weight"),
      w("self_attn.o_proj.weight"),
      w("post_attention_layernorm.weight"),
      // rows: gate (intermediate), then up (intermediate)
      w("mlp.gate_up_proj.weight"),
      w("mlp.down_proj.weight")
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: "num_hidden_layers",
    vocabSizeKey: "vocab_size"
  }
];

// src/arch/detect.ts
var LAYER_INDEX_RE = /\.(\d+)\./;
var IGNORED_TENSOR_SUFFIXES = [
  ".rotary_emb.inv_freq",
  ".attention.masked_bias",
  ".attention.bias",
  ".attn.masked_bias"
];
function isIgnoredTensor(name) {
  return IGNORED_TENSOR_SUFFIXES.some((s) => name.endsWith(s));
}
var LAYER_COUNT_KEYS = ["num_hidden_layers", "n_layer", "num_layers", "n_layers"];
var TEMPLATE_VAR_RE = /\$\{(layer_index|num_layers)(?:([+-])(\d+))?\}/g;
function substituteLayer(template, layer, numLayers) {
  if (!template.includes("${")) return template;
  return template.replace(TEMPLATE_VAR_RE, (_m, v, sign, off) => {
    let base;
    if (v === "layer_index") base = layer;
    else if (numLayers !== void 0) base = numLayers;
    else {
      throw new MergeopsError(
        "INTERNAL",
        `template ${JSON.stringify(template)} needs the layer count`,
        "pass numLayers when expanding templates that use ${num_layers}"
      );
    }
    const k = off === void 0 ? 0 : Number(off);
    return String(sign === "-" ? base - k : base + k);
  });
}
function findTensorName(def, layer, available) {
  const candidates = [def.name, ...def.aliases ?? [], ...def.tiedNames ?? []];
  for (const c of candidates) {
    const n = layer === void 0 ? c : substituteLayer(c, layer);
    if (available.has(n)) return n;
  }
  return void 0;
}
function splitLayerName(name) {
  const m = LAYER_INDEX_RE.exec(name);
  if (!m) return void 0;
  const prefix = name.slice(0, m.index);
  const template = `${prefix}.\${layer_index}.${name.slice(m.index + m[0].length)}`;
  return { prefix, index: Number(m[1]), template };
}
function mainLayerPrefix(names) {
  const counts = /* @__PURE__ */ new Map();
  for (const n of names) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    if (l) counts.set(l.prefix, (counts.get(l.prefix) ?? 0) + 1);
  }
  let best;
  let bestCount = -1;
  for (const [p, c] of counts) {
    if (c > bestCount || c === bestCount && best !== void 0 && p < best) {
      best = p;
      bestCount = c;
    }
  }
  return best;
}
function defLayerPrefix(def) {
  const t = def.layerWeights[0]?.name;
  if (t === void 0) return void 0;
  const i = t.indexOf(".${layer_index}.");
  return i < 0 ? void 0 : t.slice(0, i);
}
var EMBED_NAME_RE = /(^|\.)(embed_tokens|wte|word_embeddings|embed_in|tok_embeddings|embeddings)\.weight$/;
var HEAD_NAME_RE = /(^|\.)(lm_head|embed_out)(\.linear)?\.weight$/;
var POST_NAME_RE = /^(lm_head|embed_out)\.|(^|\.)(norm|final_layernorm|final_layer_norm|final_norm|ln_f|norm_f)\.(weight|bias)$/;
function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
function coveredNames(def) {
  const layer = /* @__PURE__ */ new Set();
  const loose = /* @__PURE__ */ new Set();
  for (const w2 of def.layerWeights) for (const n of [w2.name, ...w2.aliases ?? []]) layer.add(n);
  for (const w2 of [...def.preWeights, ...def.postWeights]) {
    for (const n of [w2.name, ...w2.aliases ?? [], ...w2.tiedNames ?? []]) loose.add(n);
  }
  return { layer, loose };
}
function looseWeights(names, optional) {
  const sorted = [...names].sort(cmp);
  const embed = sorted.find((n) => EMBED_NAME_RE.test(n) && !POST_NAME_RE.test(n));
  const pre = [];
  const post = [];
  for (const n of sorted) {
    const w2 = { name: n };
    if (EMBED_NAME_RE.test(n) || HEAD_NAME_RE.test(n)) w2.isEmbed = true;
    if (optional) w2.optional = true;
    if (HEAD_NAME_RE.test(n) && embed !== void 0) {
      w2.optional = true;
      w2.tiedNames = [embed];
    }
    (POST_NAME_RE.test(n) ? post : pre).push(w2);
  }
  return { pre, post };
}
function inferArchDef(config, tensorNames) {
  const names = tensorNames.filter((n) => !isIgnoredTensor(n));
  const prefix = mainLayerPrefix(names);
  const templates = /* @__PURE__ */ new Map();
  const loose = [];
  let layerCount = 0;
  for (const n of names) {
    const l = splitLayerName(n);
    if (l && l.prefix === prefix) {
      let s = templates.get(l.template);
      if (!s) templates.set(l.template, s = /* @__PURE__ */ new Set());
      s.add(l.index);
      layerCount = Math.max(layerCount, l.index + 1);
    } else {
      loose.push(n);
    }
  }
  const layerIndices = /* @__PURE__ */ new Set();
  for (const s of templates.values()) for (const i of s) layerIndices.add(i);
  const layerWeights = [...templates.keys()].sort(cmp).map((t) => {
    const w2 = { name: t };
    if (templates.get(t).size < layerIndices.size) w2.optional = true;
    return w2;
  });
  const { pre, post } = looseWeights(loose, false);
  const arch = config.architectures?.[0];
  const modelType = typeof config.model_type === "string" ? config.model_type : void 0;
  const numLayersKey = LAYER_COUNT_KEYS.find((k) => typeof config[k] === "number") ?? "num_hidden_layers";
  const def = {
    id: `inferred:${arch ?? modelType ?? "unknown"}`,
    architectures: arch ? [arch] : [],
    modelTypes: modelType ? [modelType] : [],
    preWeights: pre,
    layerWeights,
    postWeights: post,
    numLayersKey,
    vocabSizeKey: "vocab_size"
  };
  return { def, layerCount };
}
function withExtras(row, tensorNames) {
  const covered = coveredNames(row);
  const prefix = defLayerPrefix(row);
  const extraLayer = /* @__PURE__ */ new Set();
  const extraLoose = [];
  for (const n of tensorNames) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    if (l && l.prefix === prefix) {
      if (!covered.layer.has(l.template)) extraLayer.add(l.template);
    } else if (!covered.loose.has(n)) {
      extraLoose.push(n);
    }
  }
  if (extraLayer.size === 0 && extraLoose.length === 0) return row;
  const { pre, post } = looseWeights(extraLoose, true);
  return {
    ...row,
    preWeights: [...row.preWeights, ...pre],
    layerWeights: [...row.layerWeights, ...[...extraLayer].sort(cmp).map((name) => ({ name, optional: true }))],
    postWeights: [...row.postWeights, ...post]
  };
}
function findArchRow(config) {
  const arch = config.architectures?.[0];
  const modelType = config.model_type;
  if (arch !== void 0) {
    const rows = ARCHITECTURES.filter((r) => r.architectures.includes(arch));
    if (rows.length <= 1) return rows[0];
    return rows.find((r) => modelType !== void 0 && r.modelTypes.includes(modelType)) ?? rows[0];
  }
  if (modelType !== void 0) return ARCHITECTURES.find((r) => r.modelTypes.includes(modelType));
  return void 0;
}
function describeArch(def, inferred) {
  if (!inferred) return `${def.id} (${def.architectures[0]})`;
  const a = def.architectures[0] ?? def.modelTypes[0];
  return a ? `${a} (layout inferred from tensor names)` : "an unnamed architecture (layout inferred from tensor names)";
}
var RESAVE_HINT = "if the model comes from an older library version, load it with a current transformers release and save it again (save_pretrained) to get the current tensor names";
function detectArch(config, tensorNames, modelLabel) {
  const row = findArchRow(config);
  let def;
  let inferred;
  let numLayers;
  if (row) {
    def = withExtras(row, tensorNames);
    inferred = false;
    const v = config[def.numLayersKey];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      throw new MergeopsError(
        "ARCH",
        `${modelLabel}: config.json has no valid \`${def.numLayersKey}\` (got ${v === void 0 ? "nothing" : JSON.stringify(v)}); a ${def.id} model needs its layer count there`,
        `set "${def.numLayersKey}" in the model's config.json to its number of layers`
      );
    }
    numLayers = v;
  } else {
    const r = inferArchDef(config, tensorNames);
    def = r.def;
    inferred = true;
    const v = config[def.numLayersKey];
    numLayers = typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : r.layerCount;
  }
  const prefix = defLayerPrefix(def);
  let maxIndex = -1;
  let maxName = "";
  for (const n of tensorNames) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    if (l && l.prefix === prefix && l.index > maxIndex) {
      maxIndex = l.index;
      maxName = n;
    }
  }
  if (maxIndex >= numLayers) {
    throw new MergeopsError(
      "ARCH",
      `${modelLabel}: the checkpoint has tensors for layer ${maxIndex} (e.g. \`${maxName}\`) but config.json says ${def.numLayersKey} = ${numLayers}`,
      `config.json and the weights disagree: ${def.numLayersKey} should be ${maxIndex + 1} (highest layer index + 1) if the weights are right; if the files come from different revisions, download both from one revision`
    );
  }
  const available = new Set(tensorNames);
  const missing2 = [];
  for (const w2 of def.preWeights) if (!w2.optional && !findTensorName(w2, void 0, available)) missing2.push(w2.name);
  for (let i = 0; i < numLayers; i++) {
    for (const w2 of def.layerWeights) {
      if (!w2.optional && !findTensorName(w2, i, available)) missing2.push(substituteLayer(w2.name, i, numLayers));
    }
  }
  for (const w2 of def.postWeights) if (!w2.optional && !findTensorName(w2, void 0, available)) missing2.push(w2.name);
  if (missing2.length > 0) {
    const more = missing2.length > 1 ? ` (${missing2.length} required tensors are missing in all)` : "";
    const layersNote = maxIndex + 1 < numLayers ? `; config.json says ${def.numLayersKey} = ${numLayers} but the highest layer index in the checkpoint is ${maxIndex}` : "";
    const hint = maxIndex + 1 < numLayers && missing2.every((m) => splitLayerName(m)?.prefix === prefix) ? `the checkpoint stops at layer ${maxIndex}: a shard may be missing (re-download the model), or ${def.numLayersKey} in config.json should be ${maxIndex + 1}` : `the checkpoint does not have the tensor names a ${describeArch(def, inferred)} model has: ${RESAVE_HINT}; a shard may also be missing (check model.safetensors.index.json)`;
    throw new MergeopsError(
      "ARCH",
      `${modelLabel}: tensor \`${missing2[0]}\` is missing; the ${describeArch(def, inferred)} layout requires it${more}${layersNote}`,
      hint
    );
  }
  const templates = def.layerWeights.map((w2) => w2.name);
  return {
    def,
    inferred,
    numLayers,
    layerNames: (i) => templates.map((t) => substituteLayer(t, i, numLayers))
  };
}
function layoutOf(tensorNames, def) {
  const canonical = /* @__PURE__ */ new Map();
  for (const w2 of [...def.preWeights, ...def.layerWeights, ...def.postWeights]) {
    for (const a of w2.aliases ?? []) canonical.set(a, w2.name);
  }
  const names = /* @__PURE__ */ new Map();
  const top = /* @__PURE__ */ new Set();
  for (const n of tensorNames) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    const key = l ? l.template : n;
    const c = canonical.get(key) ?? key;
    if (!names.has(c)) names.set(c, n);
    top.add(n.split(".")[0]);
  }
  return { names, layerPrefix: mainLayerPrefix(tensorNames), topLevel: [...top].sort(cmp) };
}
function optionalNames(defs) {
  const s = /* @__PURE__ */ new Set();
  for (const d of defs) {
    for (const w2 of [...d.preWeights, ...d.layerWeights, ...d.postWeights]) {
      if (w2.optional) for (const n of [w2.name, ...w2.aliases ?? []]) s.add(n);
    }
  }
  return s;
}
function archName(a) {
  return a.inferred ? a.def.architectures[0] ?? a.def.modelTypes[0] : a.def.id;
}
var show = (t) => t.replace("${layer_index}", "N");
function sample(names, k = 4) {
  const s = names.slice(0, k).map(show).join(", ");
  return names.length > k ? `${s}, \u2026` : s;
}
function checkSameLayout(models, opts) {
  if (models.length < 2) return;
  const allowCrimes = opts?.allowCrimes === true;
  if (!allowCrimes) {
    const first = models[0];
    const a0 = archName(first.arch);
    for (const m of models.slice(1)) {
      const a = archName(m.arch);
      const differ = !first.arch.inferred && !m.arch.inferred ? first.arch.def.id !== m.arch.def.id : a0 !== void 0 && a !== void 0 && a0 !== a;
      if (differ) {
        throw new MergeopsError(
          "ARCH",
          `\`${m.label}\` is ${describeArch(m.arch.def, m.arch.inferred)} but \`${first.label}\` is ${describeArch(first.arch.def, first.arch.inferred)}: the models of a merge must share one architecture`,
          "pick models of one architecture (fine-tunes of the same base model); mixing architectures whose tensors happen to line up is what mergekit calls --allow-crimes, and must be asked for explicitly"
        );
      }
    }
  }
  const layouts = models.map((m) => layoutOf(m.tensorNames, m.arch.def));
  const optional = optionalNames(models.map((m) => m.arch.def));
  const keyOf = (l) => [...l.names.keys()].filter((n) => !optional.has(n)).sort(cmp).join("\n");
  const groups = /* @__PURE__ */ new Map();
  layouts.forEach((l, i) => {
    const k = keyOf(l);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  if (groups.size === 1) return;
  let refGroup = groups.get(keyOf(layouts[0]));
  for (const g of groups.values()) if (g.length > refGroup.length) refGroup = g;
  const ri = refGroup[0];
  const ref = layouts[ri];
  for (let i = 0; i < models.length; i++) {
    if (refGroup.includes(i)) continue;
    const l = layouts[i];
    const order = (other) => (a, b) => Number(other.topLevel.includes(a.split(".")[0])) - Number(other.topLevel.includes(b.split(".")[0])) || cmp(a, b);
    const onlyRef = [...ref.names.keys()].filter((n) => !l.names.has(n) && !optional.has(n)).sort(order(l));
    const onlyThis = [...l.names.keys()].filter((n) => !ref.names.has(n) && !optional.has(n)).sort(order(ref));
    if (onlyRef.length === 0 && (allowCrimes || onlyThis.length === 0)) continue;
    const r = models[ri];
    const m = models[i];
    const describe2 = (lay) => `${lay.layerPrefix !== void 0 ? `layers as \`${lay.layerPrefix}.N.\u2026\`` : "no numbered layers"} (top-level prefixes: ${lay.topLevel.map((p) => `${p}.`).join(", ")})`;
    const prefixesDiffer = ref.layerPrefix !== l.layerPrefix || ref.topLevel.join() !== l.topLevel.join();
    const head = prefixesDiffer ? `\`${m.label}\` and \`${r.label}\` name their tensors differently: \`${r.label}\` has ${describe2(ref)}, \`${m.label}\` has ${describe2(l)}` : `\`${m.label}\` and \`${r.label}\` do not have the same tensors`;
    const parts = [];
    if (onlyRef.length > 0) parts.push(`only in \`${r.label}\` (${onlyRef.length}): ${sample(onlyRef)}`);
    if (onlyThis.length > 0 && !allowCrimes) parts.push(`only in \`${m.label}\` (${onlyThis.length}): ${sample(onlyThis)}`);
    const hint = prefixesDiffer ? `convert \`${m.label}\` to the layout of the others: ${RESAVE_HINT} (old fine-tunes with \`transformer.\` names, like early Phi-2 ones, come out with \`model.\` names); or pick models of one family saved with one layout` : `\`${m.label}\` has different weights (another architecture variant, or a partial checkpoint): pick models of one family and configuration, or re-save it with current transformers if it is an old checkpoint`;
    throw new MergeopsError("ARCH", `${head}; ${parts.join("; ")}`, hint);
  }
}

// src/recipe/stages.ts
function referencedModels(recipe) {
  const refs = [];
  for (const s of recipe.models ?? []) refs.push(s.model);
  for (const slice of recipe.slices ?? []) {
    for (const s of slice.sources) refs.push(s.model);
    if (slice.baseModel) refs.push(slice.baseModel);
  }
  if (recipe.baseModel) refs.push(recipe.baseModel);
  const tok = recipe.tokenizer?.source ?? recipe.tokenizerSource;
  if (tok && typeof tok === "object") refs.push(tok);
  for (const t of recipe.tokenizer?.tokens.values() ?? []) {
    if (t.source?.model) refs.push(t.source.model);
  }
  const seen = /* @__PURE__ */ new Set();
  return refs.filter((r) => seen.has(r.key) ? false : (seen.add(r.key), true));
}
function err(doc, ref, message, hint) {
  const pos = ref?.pos ?? doc.pos;
  return new RecipeError(message, hint, pos, doc.lines[pos.line - 1]);
}
function stageRef(ref, names) {
  return names.has(ref.path) ? ref.path : void 0;
}
function stageGraph(docs) {
  const unnamed = docs.filter((d) => d.name === void 0);
  if (unnamed.length > 1) {
    throw err(
      unnamed[1],
      void 0,
      "a multi-stage recipe may have only one unnamed document (the final merge)",
      "give every intermediate stage a `name:` and leave only the final merge unnamed"
    );
  }
  const final = unnamed[0] ?? docs[docs.length - 1];
  const byName = new Map(docs.filter((d) => d.name !== void 0).map((d) => [d.name, d]));
  const names = new Set(byName.keys());
  const uses = /* @__PURE__ */ new Map();
  for (const d of docs) {
    const used = [];
    for (const ref of referencedModels(d)) {
      const name = stageRef(ref, names);
      if (name === void 0) continue;
      if (ref.revision !== void 0 || ref.lora !== void 0) {
        throw err(
          d,
          ref,
          `\`${ref.key}\` names the stage \`${name}\` with a revision or LoRA`,
          `a stage's output has no revisions and cannot take an adapter: write just \`${name}\``
        );
      }
      if (name === d.name) {
        throw err(d, ref, `stage \`${name}\` uses its own output`, "a stage can only use models and earlier stages");
      }
      used.push(name);
    }
    uses.set(d, used);
  }
  const order = [];
  const state = /* @__PURE__ */ new Map();
  const visit = (d, path2) => {
    if (state.get(d) === "done") return;
    if (state.get(d) === "visiting") {
      const cycle = [...path2.slice(path2.indexOf(d)), d].map((s) => s.name).join(" \u2192 ");
      const from = path2[path2.length - 1];
      const ref = referencedModels(from).find((r) => r.path === d.name);
      throw err(from, ref, `circular dependency between stages: ${cycle}`, "a stage may only use stages that do not use it; break the cycle");
    }
    state.set(d, "visiting");
    for (const name of uses.get(d)) visit(byName.get(name), [...path2, d]);
    state.set(d, "done");
    order.push(d);
  };
  for (const d of docs) visit(d, []);
  return { order, final, uses };
}

// src/hub/local.ts
import { promises as fs } from "node:fs";
import path from "node:path";
var INDEX_FILE = "model.safetensors.index.json";
var SINGLE_FILE = "model.safetensors";
var WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|gguf|onnx)(\.index\.json)?$/i;
var PICKLE_FILE = /\.(bin|pt|pth|ckpt)$/i;
function errnoCode(e) {
  return typeof e === "object" && e !== null && "code" in e ? String(e.code) : void 0;
}
async function readFully(fh, length, position, file) {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(
        file,
        `unexpected end of file after ${position + done} bytes`,
        "the file was truncated or changed while being read; re-download it"
      );
    }
    done += bytesRead;
  }
  return buf;
}
async function readSafetensorsHeader(file) {
  let fh;
  try {
    fh = await fs.open(file, "r");
  } catch (e) {
    throw new MergeopsError(
      errnoCode(e) === "ENOENT" ? "MODEL_NOT_FOUND" : "IO",
      `cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`,
      "check that the file exists and is readable"
    );
  }
  try {
    const { size } = await fh.stat();
    const first8 = await readFully(fh, Math.min(8, size), 0, file);
    const headerLength = parseHeaderLength(first8, size, file);
    const json = await readFully(fh, headerLength, 8, file);
    return parseSafetensorsHeader(json, headerLength, size, file);
  } finally {
    await fh.close();
  }
}
async function readText(file) {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    throw new MergeopsError(
      "IO",
      `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`,
      "check that the file is readable"
    );
  }
}
async function readJsonFile(file, what) {
  const text = await readText(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MergeopsError(
      "IO",
      `${file}: ${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      `fix or re-download ${path.basename(file)}`
    );
  }
}
async function readLocalModel(dir) {
  const abs = path.resolve(dir);
  let names;
  try {
    const st = await fs.stat(abs);
    if (!st.isDirectory()) {
      throw new MergeopsError(
        "MODEL_NOT_FOUND",
        `model path ${abs} is not a folder`,
        "point to the folder that holds config.json and the *.safetensors files, not to a file"
      );
    }
    const entries = await fs.readdir(abs, { withFileTypes: true });
    names = [];
    for (const e of entries) {
      if (e.isFile() || e.isSymbolicLink() && await fs.stat(path.join(abs, e.name)).then((s) => s.isFile(), () => false)) {
        names.push(e.name);
      }
    }
    names.sort();
  } catch (e) {
    if (e instanceof MergeopsError) throw e;
    const code = errnoCode(e);
    throw new MergeopsError(
      code === "ENOENT" ? "MODEL_NOT_FOUND" : "IO",
      code === "ENOENT" ? `model folder ${abs} does not exist` : `cannot read model folder ${abs}: ${e instanceof Error ? e.message : String(e)}`,
      "check the path; a model folder holds config.json and *.safetensors files (as downloaded from the Hugging Face Hub)"
    );
  }
  const nameSet = new Set(names);
  if (!nameSet.has("config.json")) {
    throw new MergeopsError(
      "MODEL_NOT_FOUND",
      `model folder ${abs} has no config.json (${path.join(abs, "config.json")})`,
      "a model folder needs the config.json of the model (as on the Hugging Face Hub); for a LoRA adapter, merge it into its base model first"
    );
  }
  const config = await readJsonFile(path.join(abs, "config.json"), "config.json");
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new MergeopsError(
      "IO",
      `${path.join(abs, "config.json")}: config.json must be a JSON object`,
      "fix or re-download config.json"
    );
  }
  const tensors = /* @__PURE__ */ new Map();
  const shardFiles = [];
  const usedFiles = /* @__PURE__ */ new Set(["config.json"]);
  const addShard = (shardName, header) => {
    const file = path.join(abs, shardName);
    for (const t of header.tensors) {
      const prev = tensors.get(t.name);
      if (prev) {
        throw new SafetensorsError(
          file,
          `tensor ${JSON.stringify(t.name)} is also in ${path.basename(prev.file)}`,
          "each tensor must be stored in exactly one shard; remove the stray file or re-save the model"
        );
      }
      tensors.set(t.name, { name: t.name, dtype: t.dtype, shape: t.shape, file, start: t.start, end: t.end });
    }
  };
  if (nameSet.has(INDEX_FILE)) {
    const indexPath = path.join(abs, INDEX_FILE);
    usedFiles.add(INDEX_FILE);
    const weightMap = parseIndexJson(await readText(indexPath), indexPath);
    const shardNames = [...new Set(Object.values(weightMap))].sort();
    for (const s of shardNames) {
      if (!nameSet.has(s)) {
        throw new MergeopsError(
          "MODEL_NOT_FOUND",
          `${indexPath} lists shard ${s}, but ${path.join(abs, s)} does not exist`,
          "the download is incomplete: fetch every shard named in the index"
        );
      }
    }
    const headers = /* @__PURE__ */ new Map();
    for (const s of shardNames) headers.set(s, await readSafetensorsHeader(path.join(abs, s)));
    const byShard = /* @__PURE__ */ new Map();
    for (const [s, h] of headers) byShard.set(s, new Map(h.tensors.map((t) => [t.name, t])));
    for (const [name, s] of Object.entries(weightMap)) {
      const t = byShard.get(s)?.get(name);
      if (!t) {
        throw new MergeopsError(
          "TENSOR_MISSING",
          `${indexPath} says tensor ${JSON.stringify(name)} is in ${s}, but that shard has no such tensor`,
          "the index does not match the shards (mixed downloads of different revisions?); re-download the model"
        );
      }
      tensors.set(name, { name, dtype: t.dtype, shape: t.shape, file: path.join(abs, s), start: t.start, end: t.end });
    }
    for (const s of shardNames) {
      const extra = headers.get(s).tensors.filter((t) => weightMap[t.name] !== s);
      addShard(s, { ...headers.get(s), tensors: extra });
      shardFiles.push(s);
      usedFiles.add(s);
    }
  } else {
    const files = nameSet.has(SINGLE_FILE) ? [SINGLE_FILE] : names.filter((n) => n.toLowerCase().endsWith(".safetensors"));
    if (files.length === 0) {
      const pickles = names.filter((n) => PICKLE_FILE.test(n) && !/^training_args\.bin$/i.test(n));
      if (pickles.length > 0) {
        throw new MergeopsError(
          "MODEL_NOT_FOUND",
          `model folder ${abs} has only PyTorch pickle weights (${pickles.join(", ")}), no *.safetensors`,
          "mergeops never loads pickles (they can run arbitrary code); convert the model to safetensors (e.g. `model.save_pretrained(dir, safe_serialization=True)` in transformers) or use a repo revision that has safetensors"
        );
      }
      throw new MergeopsError(
        "MODEL_NOT_FOUND",
        `model folder ${abs} has no *.safetensors weights`,
        "expected model.safetensors, or model.safetensors.index.json with its shards"
      );
    }
    for (const s of files) {
      addShard(s, await readSafetensorsHeader(path.join(abs, s)));
      shardFiles.push(s);
      usedFiles.add(s);
    }
  }
  const otherFiles = names.filter((n) => !usedFiles.has(n) && !WEIGHT_FILE.test(n));
  return { dir: abs, config, tensors, shardFiles, otherFiles };
}

// src/hub/resolve.ts
function stageModel(ref, plan) {
  const tensors = new Map(plan.tensors.map((t) => [t.name, {
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    file: "",
    start: 0,
    end: t.end - t.start,
    producer: t
  }]));
  const config = { ...plan.outConfig };
  if (ref.overrideArchitecture) config.architectures = [ref.overrideArchitecture];
  const arch = detectArch(config, [...tensors.keys()], ref.key);
  return { ref, key: ref.key, dir: plan.donor.dir, config, tensors, arch, otherFiles: plan.donor.files };
}
function lineOf(recipe, ref) {
  return recipe.lines[ref.pos.line - 1];
}
function locateModel(recipe, ref, cwd) {
  if (ref.lora) {
    throw new RecipeError(
      `LoRA reference \`${ref.key}\` is not supported yet`,
      "merge the adapter into its base model first (PEFT merge_and_unload) and reference that folder",
      ref.pos,
      lineOf(recipe, ref)
    );
  }
  const candidates = isAbsolute(ref.path) ? [ref.path] : [.../* @__PURE__ */ new Set([resolvePath(cwd, ref.path), resolvePath(dirname2(resolvePath(cwd, recipe.file)), ref.path)])];
  for (const c of candidates) {
    if (existsSync2(c) && statSync2(c).isDirectory()) return c;
  }
  const looksHub = /^[\w.-]+\/[\w.-]+$/.test(ref.path) && !ref.path.startsWith(".");
  throw new RecipeError(
    `model \`${ref.key}\` not found: no folder ${candidates.map((c) => `\`${c}\``).join(" or ")}`,
    (looksHub ? "if this is a Hugging Face id: reading from the Hub is not available yet, so download the model and give its folder; otherwise c" : "c") + "heck the path (relative paths are tried from the current directory, then from the recipe's folder)",
    ref.pos,
    lineOf(recipe, ref)
  );
}
async function resolveRecipe(recipe, opts = {}) {
  const cwd = opts.cwd ?? process.cwd();
  const models = /* @__PURE__ */ new Map();
  for (const ref of referencedModels(recipe)) {
    const stage = opts.stages?.get(ref.path);
    if (stage) {
      models.set(ref.key, stageModel(ref, stage));
      continue;
    }
    const dir = locateModel(recipe, ref, cwd);
    let local;
    try {
      local = await readLocalModel(dir);
    } catch (e) {
      if (e instanceof MergeopsError) {
        throw new RecipeError(`model \`${ref.key}\`: ${e.message}`, e.hint, ref.pos, lineOf(recipe, ref));
      }
      throw e;
    }
    const config = { ...local.config };
    if (ref.overrideArchitecture) config.architectures = [ref.overrideArchitecture];
    const arch = detectArch(config, [...local.tensors.keys()], ref.key);
    models.set(ref.key, {
      ref,
      key: ref.key,
      dir,
      config,
      tensors: local.tensors,
      arch,
      otherFiles: local.otherFiles
    });
  }
  checkSameLayout(
    [...models.values()].map((m) => ({ label: m.key, arch: m.arch, tensorNames: [...m.tensors.keys()] })),
    { allowCrimes: opts.allowCrimes }
  );
  return { recipe, models };
}

// src/methods/linear.ts
var linear = {
  name: "linear",
  prettyName: "Linear",
  reference: "https://arxiv.org/abs/2203.05482",
  base: "input",
  globalParams: [{ name: "normalize", default: 1 }],
  perModelParams: [{ name: "weight", required: true }],
  planTensor({ inputs, global }) {
    const weights = inputs.map((i) => i.params.weight);
    let divisor = 1;
    if (global.normalize) {
      divisor = weights.reduce((a, b) => a + b, 0);
      if (divisor === 0) {
        return {
          error: `the weights of linear sum to 0 (${weights.join(", ")}), so normalizing would divide by zero`,
          hint: "change the weights, or set `normalize: false` to use the plain weighted sum"
        };
      }
    }
    return { op: { kind: "linear", weights, divisor } };
  }
};

// src/methods/passthrough.ts
var passthrough = {
  name: "passthrough",
  prettyName: "Passthrough",
  base: "none",
  singleInput: true,
  globalParams: [],
  perModelParams: [{ name: "scale" }],
  planTensor({ inputs, tensor }) {
    if (inputs.length !== 1) {
      return {
        error: `passthrough takes exactly one model per tensor, but ${inputs.length} models give ${tensor}`,
        hint: "list one source per slice with passthrough, or use another merge method to combine models"
      };
    }
    const scale = inputs[0].params.scale;
    return { op: scale === void 0 || scale === 1 ? { kind: "copy" } : { kind: "copy", scale } };
  }
};

// src/methods/task-arithmetic.ts
var taskArithmetic = {
  name: "task_arithmetic",
  prettyName: "Task Arithmetic",
  reference: "https://arxiv.org/abs/2212.04089",
  base: "required",
  globalParams: [
    { name: "int8_mask", default: 0 },
    { name: "normalize", default: 0 },
    { name: "rescale", default: 0 },
    { name: "lambda", default: 1 }
  ],
  perModelParams: [
    { name: "weight", required: true },
    // Accepted for compatibility; task_arithmetic has no sparsifier, so density has no effect.
    { name: "density", default: 1 }
  ],
  planTensor({ inputs, global }) {
    const others = inputs.filter((i) => !i.isBase);
    const weights = others.map((i) => i.params.weight);
    let divisor = 1;
    if (global.normalize) {
      const s = weights.reduce((a, b) => a + b, 0);
      divisor = Math.abs(s) < 1e-8 ? 1 : s;
    }
    return { op: { kind: "task_arithmetic", weights, divisor, lambda: global.lambda ?? 1 } };
  }
};

// src/methods/registry.ts
var METHODS = [linear, taskArithmetic, passthrough];
var MERGEKIT_METHODS_PENDING = [
  "slerp",
  "nuslerp",
  "multislerp",
  "karcher",
  "ties",
  "dare_ties",
  "dare_linear",
  "breadcrumbs",
  "breadcrumbs_ties",
  "della",
  "della_linear",
  "sce",
  "ram",
  "ramplus_tl",
  "model_stock",
  "nearswap",
  "arcee_fusion"
];
function getMethod(name) {
  return METHODS.find((m) => m.name === name);
}
function methodNames() {
  return METHODS.map((m) => m.name);
}

// src/recipe/parse.ts
var import_yaml3 = __toESM(require_dist(), 1);

// src/recipe/model-ref.ts
var import_yaml2 = __toESM(require_dist(), 1);

// src/recipe/yaml-nodes.ts
var import_yaml = __toESM(require_dist(), 1);
function posAt(ctx, offset) {
  const { line, col } = ctx.lineCounter.linePos(offset);
  return { file: ctx.file, line, col };
}
function posOf(ctx, node) {
  return posAt(ctx, node.range ? node.range[0] : 0);
}
function recipeError(ctx, pos, message, hint) {
  return new RecipeError(message, hint, pos, ctx.lines[pos.line - 1]);
}
function fail(ctx, pos, message, hint) {
  throw recipeError(ctx, pos, message, hint);
}
function deref(ctx, node) {
  let n = node ?? null;
  for (let i = 0; i < 100 && (0, import_yaml.isAlias)(n); i++) {
    const target = n.resolve(ctx.doc);
    if (target === void 0 || target === null) {
      fail(ctx, posOf(ctx, n), `unknown alias \`*${n.source}\``, `define the anchor first with \`&${n.source}\` on the node you want to reuse`);
    }
    n = target;
  }
  return n ?? null;
}
function isNullNode(node) {
  return node === null || (0, import_yaml.isScalar)(node) && node.value === null;
}
function describeNode(node) {
  if (node === null) return "nothing";
  if ((0, import_yaml.isMap)(node)) return "a mapping";
  if ((0, import_yaml.isSeq)(node)) return "a list";
  if ((0, import_yaml.isScalar)(node)) {
    const v = node.value;
    if (v === null) return "nothing";
    if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
    if (typeof v === "number") return `the number ${v}`;
    if (typeof v === "boolean") return `the boolean ${v}`;
    return `the value ${String(v)}`;
  }
  return "an unexpected node";
}
function mapEntries(ctx, map, where) {
  const explicit = [];
  const merged = [];
  for (const pair of map.items) {
    const keyNode = pair.key;
    const valueRaw = pair.value;
    if ((0, import_yaml.isScalar)(keyNode) && typeof keyNode.value === "symbol") {
      const v = deref(ctx, valueRaw);
      const sources = (0, import_yaml.isSeq)(v) ? v.items.map((n) => deref(ctx, n)).filter((n) => n !== null) : v ? [v] : [];
      for (const src of sources) {
        if (!(0, import_yaml.isMap)(src)) {
          fail(ctx, posOf(ctx, keyNode), `\`<<\` merge key in ${where} must refer to a mapping`, "write `<<: *anchor` where `&anchor` names a mapping");
        }
        for (const e of mapEntries(ctx, src, where)) merged.push(e);
      }
      continue;
    }
    const k = deref(ctx, keyNode);
    const keyPos = keyNode ? posOf(ctx, keyNode) : posOf(ctx, map);
    if (!(0, import_yaml.isScalar)(k) || typeof k.value !== "string" && typeof k.value !== "number" && typeof k.value !== "boolean") {
      fail(ctx, keyPos, `keys in ${where} must be names, found ${describeNode(k)}`, "write `name: value` entries with plain names as keys");
    }
    const key = typeof k.value === "string" ? k.value : k.source ?? String(k.value);
    const value = deref(ctx, valueRaw);
    const valuePos = value !== null && !((0, import_yaml.isScalar)(value) && value.value === null && (value.source ?? "") === "") ? posOf(ctx, value) : keyPos;
    explicit.push({ key, keyPos, value, valuePos });
  }
  const seen = new Set(explicit.map((e) => e.key));
  const out = [...explicit];
  for (const e of merged) {
    if (!seen.has(e.key)) {
      seen.add(e.key);
      out.push(e);
    }
  }
  return out;
}
function expectMap(ctx, node, pos, what, hint) {
  if (!(0, import_yaml.isMap)(node)) fail(ctx, pos, `${what} must be a mapping, found ${describeNode(node)}`, hint);
  return node;
}
function expectSeq(ctx, node, pos, what, hint) {
  if (!(0, import_yaml.isSeq)(node)) fail(ctx, pos, `${what} must be a list, found ${describeNode(node)}`, hint);
  return node;
}
function seqItems(ctx, seq) {
  return seq.items.map((raw) => {
    const node = deref(ctx, raw);
    const pos = raw ? posOf(ctx, raw) : posOf(ctx, seq);
    return { node, pos };
  });
}
function expectString(ctx, node, pos, what, hint) {
  if (!(0, import_yaml.isScalar)(node) || typeof node.value !== "string") {
    fail(ctx, pos, `${what} must be a string, found ${describeNode(node)}`, hint);
  }
  return node.value;
}
function scalarText(node) {
  if (!(0, import_yaml.isScalar)(node)) return void 0;
  if (typeof node.value === "string") return node.value;
  if ((typeof node.value === "number" || typeof node.value === "boolean") && node.type === "PLAIN" && node.source) return node.source;
  return void 0;
}
var YAML11_TRUE = /* @__PURE__ */ new Set(["yes", "Yes", "YES", "on", "On", "ON"]);
var YAML11_FALSE = /* @__PURE__ */ new Set(["no", "No", "NO", "off", "Off", "OFF"]);
function scalarBoolean(node) {
  if (!(0, import_yaml.isScalar)(node)) return void 0;
  if (typeof node.value === "boolean") return node.value;
  if (typeof node.value === "string" && node.type === "PLAIN") {
    if (YAML11_TRUE.has(node.value)) return true;
    if (YAML11_FALSE.has(node.value)) return false;
  }
  return void 0;
}
var NUMERIC_STRING = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
function scalarNumber(node) {
  if (!(0, import_yaml.isScalar)(node)) return void 0;
  const v = node.value;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  const b = scalarBoolean(node);
  if (b !== void 0) return b ? 1 : 0;
  if (typeof v === "string") {
    const s = v.trim();
    if (NUMERIC_STRING.test(s)) return Number(s.replace(/_/g, ""));
  }
  return void 0;
}
function editDistance(a, b) {
  const m = a.length;
  const n = b.length;
  const d = [];
  for (let i = 0; i <= m; i++) {
    d.push(new Array(n + 1).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[m][n];
}
var normalizeName = (s) => s.toLowerCase().replace(/[-_\s]/g, "");
function didYouMean(word, candidates) {
  const w2 = normalizeName(word);
  for (const c of candidates) if (normalizeName(c) === w2) return c;
  let best;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    const limit = Math.max(1, Math.floor(c.length / 3));
    if (dist <= limit && dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return best;
}
function listNames(names) {
  return names.map((n) => `\`${n}\``).join(", ");
}
function checkKeys(ctx, entries, allowed, where, extraHint) {
  for (const e of entries) {
    if (allowed.includes(e.key)) continue;
    const special = extraHint?.(e.key);
    const suggestion = didYouMean(e.key, allowed);
    const message = suggestion ? `unknown key \`${e.key}\` in ${where}; did you mean \`${suggestion}\`?` : `unknown key \`${e.key}\` in ${where}`;
    const hint = special ?? (suggestion ? `rename it to \`${suggestion}\` (mergekit would silently ignore \`${e.key}\`)` : `the keys allowed in ${where} are ${listNames(allowed)}; mergekit would silently ignore \`${e.key}\``);
    fail(ctx, e.keyPos, message, hint);
  }
}
function entryMap(entries) {
  return new Map(entries.map((e) => [e.key, e]));
}
function isBefore(a, b) {
  return a.line < b.line || a.line === b.line && a.col < b.col;
}

// src/recipe/model-ref.ts
function modelRefKey(model2, lora) {
  const one = (p) => p.revision !== void 0 ? `${p.path}@${p.revision}` : p.path;
  return lora ? `${one(model2)}+${one(lora)}` : one(model2);
}
var REF_HINT = "write a Hugging Face repo id (`org/repo`), a local path (`./models/x`, `/abs/path`), optionally with `@revision` and one `+lora` adapter, e.g. `org/model@v1+org/lora@main`";
function parsePathRev(text, what, whole, bad) {
  const ats = text.split("@");
  if (ats.length > 2) {
    bad(
      `invalid ${what} \`${whole}\`: more than one \`@\``,
      "a model path takes at most one `@revision`, e.g. `org/repo@main`"
    );
  }
  const path2 = ats[0];
  if (path2.trim() === "") {
    bad(`invalid ${what} \`${whole}\`: the path is empty`, REF_HINT);
  }
  if (ats.length === 2) {
    const revision = ats[1];
    if (revision.trim() === "") {
      bad(`invalid ${what} \`${whole}\`: empty revision after \`@\``, "write a branch, tag or commit after `@`, e.g. `org/repo@main`, or drop the `@`");
    }
    return { path: path2, revision };
  }
  return { path: path2 };
}
function parseRefString(raw, bad) {
  if (raw.trim() === "") bad("empty model reference", REF_HINT);
  const parts = raw.split("+");
  if (parts.length > 2) {
    bad(
      `invalid model reference \`${raw}\`: more than one \`+\``,
      "a reference takes at most one LoRA adapter: `model+lora`; merge several adapters in separate stages"
    );
  }
  const model2 = parsePathRev(parts[0], "model reference", raw, bad);
  if (parts.length === 2) {
    if (parts[1].trim() === "") bad(`invalid model reference \`${raw}\`: nothing after \`+\``, "write the LoRA adapter after `+` (`model+org/lora`), or drop the `+`");
    const lora = parsePathRev(parts[1], "LoRA reference", raw, bad);
    return { model: model2, lora };
  }
  return { model: model2 };
}
function buildRef(model2, lora, overrideArchitecture, pos) {
  const ref = { path: model2.path, key: modelRefKey(model2, lora), pos };
  if (model2.revision !== void 0) ref.revision = model2.revision;
  if (lora) {
    const l = { path: lora.path };
    if (lora.revision !== void 0) l.revision = lora.revision;
    ref.lora = l;
  }
  if (overrideArchitecture !== void 0) ref.overrideArchitecture = overrideArchitecture;
  return ref;
}
function pathRevFromNode(ctx, node, pos, what) {
  const bad = (message, hint) => fail(ctx, pos, message, hint);
  if ((0, import_yaml2.isScalar)(node) && typeof node.value === "string") {
    const s = node.value;
    if (s.includes("+")) bad(`invalid ${what} \`${s}\`: \`+\` is not allowed here`, "in the dict form, put the adapter under `lora:`");
    return parsePathRev(s, what, s, bad);
  }
  if ((0, import_yaml2.isMap)(node)) {
    const entries = mapEntries(ctx, node, `a ${what}`);
    checkKeys(ctx, entries, ["path", "revision"], `a ${what}`);
    const m = entryMap(entries);
    const p = m.get("path");
    if (!p) fail(ctx, pos, `${what} has no \`path\``, "write `{path: org/repo, revision: main}`");
    const path2 = expectString(ctx, p.value, p.valuePos, "`path`", "write a repo id or a local path");
    if (path2.trim() === "") fail(ctx, p.valuePos, `${what}: the path is empty`, REF_HINT);
    const r = m.get("revision");
    if (r && !((0, import_yaml2.isScalar)(r.value) && r.value.value === null) && r.value !== null) {
      const rev = scalarText(r.value);
      if (rev === void 0 || rev.trim() === "") {
        fail(ctx, r.valuePos, `\`revision\` must be a branch, tag or commit name, found ${describeNode(r.value)}`, "write e.g. `revision: main`");
      }
      return { path: path2, revision: rev };
    }
    return { path: path2 };
  }
  return fail(ctx, pos, `${what} must be a string or {path, revision}, found ${describeNode(node)}`, REF_HINT);
}
function modelRefFromNode(ctx, node, pos, what = "model reference") {
  if ((0, import_yaml2.isScalar)(node) && typeof node.value === "string") {
    const nodePos = posOf(ctx, node);
    const { model: model2, lora } = parseRefString(node.value, (message, hint) => fail(ctx, nodePos, message, hint));
    return buildRef(model2, lora, void 0, nodePos);
  }
  if ((0, import_yaml2.isMap)(node)) {
    const nodePos = posOf(ctx, node);
    const entries = mapEntries(ctx, node, `a ${what}`);
    checkKeys(ctx, entries, ["model", "lora", "override_architecture"], `a ${what}`);
    const m = entryMap(entries);
    const me = m.get("model");
    if (!me) {
      fail(ctx, nodePos, `${what} in dict form has no \`model\``, "write `{model: {path: org/repo, revision: main}, lora: ..., override_architecture: ...}`");
    }
    const model2 = pathRevFromNode(ctx, me.value, me.valuePos, "model path");
    const le = m.get("lora");
    const lora = le && le.value !== null && !((0, import_yaml2.isScalar)(le.value) && le.value.value === null) ? pathRevFromNode(ctx, le.value, le.valuePos, "LoRA path") : void 0;
    const ae = m.get("override_architecture");
    let arch;
    if (ae && ae.value !== null && !((0, import_yaml2.isScalar)(ae.value) && ae.value.value === null)) {
      arch = expectString(ctx, ae.value, ae.valuePos, "`override_architecture`", "write an architecture class name, e.g. `LlamaForCausalLM`");
      if (arch.trim() === "") fail(ctx, ae.valuePos, "`override_architecture` is empty", "write an architecture class name, e.g. `LlamaForCausalLM`, or remove the key");
    }
    return buildRef(model2, lora, arch, nodePos);
  }
  if ((0, import_yaml2.isScalar)(node) && node.value === null) {
    return fail(ctx, pos, `${what} is empty`, REF_HINT);
  }
  const quoted = (0, import_yaml2.isScalar)(node) && node.source ? ` (quote it if \`${node.source}\` is the name: "${node.source}")` : "";
  return fail(ctx, pos, `${what} must be a string or a mapping, found ${describeNode(node)}`, REF_HINT + quoted);
}

// src/recipe/parse.ts
var RECIPE_KEYS = [
  "merge_method",
  "models",
  "slices",
  "base_model",
  "parameters",
  "dtype",
  "out_dtype",
  "tokenizer_source",
  "tokenizer",
  "chat_template",
  "name",
  "mergeops"
];
var MERGEOPS_KEYS = ["seed", "quantize", "out_shard_size"];
var CHAT_TEMPLATE_NAMES = ["auto", "alpaca", "chatml", "llama3", "mistral", "exaone"];
var COMMON_PARAMETERS = [
  "weight",
  "density",
  "t",
  "normalize",
  "int8_mask",
  "lambda",
  "rescale",
  "epsilon",
  "gamma",
  "select_topk",
  "filter_wise",
  "scale",
  "max_iter",
  "tol",
  "nuslerp_row_wise",
  "nuslerp_flatten",
  "normalize_weights",
  "eps",
  "r",
  "alpha"
];
var PARAM_VALUE_HINT = "write a number (`0.5`), `true`/`false`, a gradient list (`[0, 0.5, 1]`) or a list of `{filter, value}` entries; mergekit only accepts numbers as parameter values";
function parseRecipeText(text, file) {
  const lines = text.split("\n").map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
  const lineCounter = new import_yaml3.LineCounter();
  const parsed = (0, import_yaml3.parseAllDocuments)(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const base = { lines };
  const startPos = { file, line: 1, col: 1 };
  if (!Array.isArray(parsed) || parsed.length === 0) {
    fail(base, startPos, "the recipe is empty", "write a mergekit merge configuration, e.g. `merge_method: linear` and a `models:` list");
  }
  const docs = parsed;
  for (const doc of docs) {
    const e = doc.errors[0];
    if (e) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      fail(base, { file, line, col }, `invalid YAML: ${firstLine(e.message)}`, yamlHint(e.code));
    }
  }
  const recipes = [];
  const names = /* @__PURE__ */ new Map();
  let unnamed;
  docs.forEach((doc, i) => {
    const start = i === 0 ? 0 : doc.range[0];
    const end = i + 1 < docs.length ? docs[i + 1].range[0] : text.length;
    const docText = stripDocStart(text.slice(start, end));
    const ctx = { file, lines, lineCounter, doc };
    const { recipe, namePos } = parseDocument(ctx, doc, docText, docs.length > 1 ? i + 1 : void 0);
    if (recipe.name !== void 0 && namePos) {
      const prev = names.get(recipe.name);
      if (prev) {
        fail(ctx, namePos, `duplicate stage name \`${recipe.name}\` (already used at line ${prev.line})`, "give every stage of a multi-stage recipe a different `name:`");
      }
      names.set(recipe.name, namePos);
    } else if (docs.length > 1) {
      if (unnamed) {
        fail(
          ctx,
          recipe.pos,
          `more than one unnamed document (the first is at line ${unnamed.line})`,
          "in a multi-stage recipe every intermediate stage needs a `name:`; only the final merge may be unnamed"
        );
      }
      unnamed = recipe.pos;
    }
    recipes.push(recipe);
  });
  return recipes;
}
function firstLine(s) {
  return s.split("\n")[0].trim();
}
function yamlHint(code) {
  switch (code) {
    case "DUPLICATE_KEY":
      return "a key may appear only once in a mapping; remove or rename one of them";
    case "TAB_AS_INDENT":
      return "YAML indentation must use spaces, not tabs";
    case "BAD_INDENT":
      return "check the indentation and that every `[` / `{` is closed on this node";
    case "MISSING_CHAR":
      return "a bracket or quote is not closed";
    case "BLOCK_AS_IMPLICIT_KEY":
    case "MULTILINE_IMPLICIT_KEY":
      return "put a nested mapping on its own indented lines, or quote a value that contains `: `";
    default:
      return "fix the YAML syntax here (indentation, `key: value` pairs, `- ` list items, closed quotes and brackets)";
  }
}
function stripDocStart(s) {
  return s.replace(/^---[ \t]*(?:#[^\n]*)?\r?\n/, "");
}
function present(e) {
  return e !== void 0 && !isNullNode(e.value);
}
function topLevelHint(key) {
  if (MERGEOPS_KEYS.includes(key)) {
    return `\`${key}\` is a mergeops option: move it under \`mergeops:\``;
  }
  if (COMMON_PARAMETERS.includes(key)) {
    return `merge parameters go under \`parameters:\` (top level, per slice, or per model), e.g. \`parameters: {${key}: ...}\``;
  }
  return void 0;
}
function parseDocument(ctx, doc, text, docNumber) {
  const where = docNumber !== void 0 ? `document ${docNumber}` : "the recipe";
  const root = doc.contents;
  if (isNullNode(root)) {
    const pos = posAt(ctx, doc.range[0]);
    fail(ctx, pos, `${where} is empty`, docNumber !== void 0 ? "remove the extra `---` separator, or write a merge configuration in this document" : "write a mergekit merge configuration, e.g. `merge_method: linear` and a `models:` list");
  }
  const rootPos = posOf(ctx, root);
  if (!(0, import_yaml3.isMap)(root)) {
    fail(
      ctx,
      rootPos,
      `a recipe document must be a mapping of keys, found ${describeNode(root)}`,
      "write `merge_method: ...`, `models:` or `slices:`, and the other keys at the top level of the document"
    );
  }
  const entries = mapEntries(ctx, root, "the recipe");
  checkKeys(ctx, entries, [...RECIPE_KEYS, "modules"], "the recipe", topLevelHint);
  const m = entryMap(entries);
  const modules = m.get("modules");
  if (modules) {
    fail(
      ctx,
      modules.keyPos,
      "`modules:` (per-module merges of multi-module models such as VLMs or encoder-decoders) is not supported yet",
      "for decoder-only models use `models:` or `slices:` instead"
    );
  }
  const mm = m.get("merge_method");
  if (!present(mm)) {
    fail(
      ctx,
      mm ? mm.keyPos : rootPos,
      mm ? "`merge_method` is empty" : `${where} has no \`merge_method\``,
      "add `merge_method: <name>`, e.g. `linear`, `slerp`, `ties`, `dare_ties`, `task_arithmetic` or `passthrough`"
    );
  }
  const models = m.get("models");
  const slices = m.get("slices");
  if (present(models) && present(slices)) {
    const later = isBefore(models.keyPos, slices.keyPos) ? slices : models;
    fail(
      ctx,
      later.keyPos,
      "both `models` and `slices` are given; a recipe has exactly one of them",
      "`models:` merges whole models, `slices:` picks layer ranges; keep one and remove the other"
    );
  }
  if (!present(models) && !present(slices)) {
    const e = models ?? slices;
    fail(
      ctx,
      e ? e.keyPos : rootPos,
      e ? `\`${e.key}\` is empty` : `${where} has neither \`models\` nor \`slices\``,
      "add `models:` with a list of `- model: org/repo` entries, or `slices:` with layer ranges"
    );
  }
  const tokSrc = m.get("tokenizer_source");
  const tok = m.get("tokenizer");
  if (present(tokSrc) && present(tok)) {
    const later = isBefore(tokSrc.keyPos, tok.keyPos) ? tok : tokSrc;
    fail(
      ctx,
      later.keyPos,
      "`tokenizer` and `tokenizer_source` cannot both be given",
      "`tokenizer_source: X` is the legacy spelling of `tokenizer: {source: X}`; keep only `tokenizer:`"
    );
  }
  const recipe = {
    file: ctx.file,
    text,
    mergeMethod: "",
    mergeMethodPos: rootPos,
    parameters: /* @__PURE__ */ new Map(),
    mergeops: { extra: /* @__PURE__ */ new Map() },
    pos: rootPos,
    lines: ctx.lines
  };
  let namePos;
  for (const e of entries) {
    switch (e.key) {
      case "name": {
        if (isNullNode(e.value)) break;
        const name = expectString(ctx, e.value, e.valuePos, "`name`", "write a stage name such as `first-merge` (quote it if it looks like a number)");
        checkStageName(ctx, name, e.valuePos);
        recipe.name = name;
        namePos = e.valuePos;
        break;
      }
      case "merge_method": {
        const v = expectString(ctx, e.value, e.valuePos, "`merge_method`", "write a merge method name, e.g. `merge_method: linear`");
        if (v.trim() === "") fail(ctx, e.valuePos, "`merge_method` is empty", "write a merge method name, e.g. `merge_method: linear`");
        recipe.mergeMethod = v;
        recipe.mergeMethodPos = e.valuePos;
        break;
      }
      case "models":
        if (present(e)) recipe.models = parseModels(ctx, e);
        break;
      case "slices":
        if (present(e)) recipe.slices = parseSlices(ctx, e);
        break;
      case "base_model":
        if (present(e)) recipe.baseModel = modelRefFromNode(ctx, e.value, e.valuePos, "`base_model`");
        break;
      case "parameters":
        recipe.parameters = parseParamMap(ctx, e, "the top-level `parameters`");
        break;
      case "dtype": {
        const d = parseDType(ctx, e);
        if (d) recipe.dtype = d;
        break;
      }
      case "out_dtype": {
        const d = parseDType(ctx, e);
        if (d) recipe.outDtype = d;
        break;
      }
      case "tokenizer_source":
        if (present(e)) recipe.tokenizerSource = parseTokenizerSource(ctx, e.value, e.valuePos, "`tokenizer_source`");
        break;
      case "tokenizer":
        if (present(e)) recipe.tokenizer = parseTokenizer(ctx, e);
        break;
      case "chat_template":
        if (present(e)) recipe.chatTemplate = parseChatTemplate(ctx, e);
        break;
      case "mergeops":
        recipe.mergeops = parseMergeops(ctx, e);
        break;
    }
  }
  return { recipe, namePos };
}
function checkStageName(ctx, name, pos) {
  const hint = "a stage name is a plain word such as `first-merge`; later stages refer to it by that name (`base_model: first-merge`)";
  if (name.trim() === "") fail(ctx, pos, "stage `name` is empty", hint);
  for (const ch of ["/", "+", "@"]) {
    if (name.includes(ch)) fail(ctx, pos, `stage name \`${name}\` contains \`${ch}\``, hint + "; `/`, `+` and `@` would be read as part of a model reference");
  }
  if (/\s/.test(name)) fail(ctx, pos, `stage name \`${name}\` contains whitespace`, hint);
}
function inputKeyHint(key) {
  if (COMMON_PARAMETERS.includes(key)) {
    return `per-model parameters go under \`parameters:\`, e.g. \`parameters: {${key}: ...}\``;
  }
  return void 0;
}
function parseModels(ctx, e) {
  const seq = expectSeq(ctx, e.value, e.valuePos, "`models`", "write a list of inputs: `models:` then `  - model: org/repo` lines");
  const items = seqItems(ctx, seq);
  const out = [];
  const seen = /* @__PURE__ */ new Map();
  for (const { node, pos } of items) {
    if ((0, import_yaml3.isScalar)(node) && typeof node.value === "string") {
      fail(
        ctx,
        pos,
        `a \`models\` entry must be a mapping with a \`model\` key, found the string ${JSON.stringify(node.value)}`,
        `write \`- model: ${node.value}\``
      );
    }
    const map = expectMap(ctx, node, pos, "a `models` entry", "write `- model: org/repo` with optional `parameters:`");
    const entries = mapEntries(ctx, map, "a `models` entry");
    checkKeys(ctx, entries, ["model", "parameters"], "a `models` entry", inputKeyHint);
    const m = entryMap(entries);
    const me = m.get("model");
    if (!present(me)) fail(ctx, me ? me.keyPos : pos, "a `models` entry has no `model`", "write `- model: org/repo`");
    const model2 = modelRefFromNode(ctx, me.value, me.valuePos, "`model`");
    const prev = seen.get(model2.key);
    if (prev) {
      fail(
        ctx,
        model2.pos,
        `model \`${model2.key}\` is listed twice in \`models\` (first at line ${prev.line})`,
        "each model may appear once; mergekit keys inputs by model, so the entries would collapse into one"
      );
    }
    seen.set(model2.key, model2.pos);
    out.push({ model: model2, parameters: parseParamMap(ctx, m.get("parameters"), `the parameters of \`${model2.key}\``), pos });
  }
  if (out.length === 0) fail(ctx, e.valuePos, "`models` is empty", "list the models to merge: `  - model: org/repo`");
  return out;
}
function parseSlices(ctx, e) {
  const seq = expectSeq(ctx, e.value, e.valuePos, "`slices`", "write a list of output slices: `slices:` then `  - sources:` entries");
  const out = [];
  for (const { node, pos } of seqItems(ctx, seq)) {
    const map = expectMap(ctx, node, pos, "a `slices` entry", "write `- sources: [...]` with optional `base_model:` and `parameters:`");
    const entries = mapEntries(ctx, map, "a slice");
    checkKeys(ctx, entries, ["sources", "base_model", "parameters", "residual_weight"], "a slice", inputKeyHint);
    const m = entryMap(entries);
    const se = m.get("sources");
    if (!present(se)) {
      fail(ctx, se ? se.keyPos : pos, "a slice has no `sources`", "write `- sources:` then `    - model: org/repo` with `layer_range: [start, end]`");
    }
    const sources = parseSources(ctx, se);
    const slice = { sources, parameters: parseParamMap(ctx, m.get("parameters"), "the slice `parameters`"), pos };
    const be = m.get("base_model");
    if (present(be)) slice.baseModel = modelRefFromNode(ctx, be.value, be.valuePos, "`base_model`");
    const rw = m.get("residual_weight");
    if (present(rw)) {
      const v = scalarNumber(rw.value);
      if (v === void 0 || !Number.isFinite(v)) fail(ctx, rw.valuePos, `\`residual_weight\` must be a number, found ${describeNode(rw.value)}`, "write a number, or remove the key (mergekit ignores it)");
    }
    out.push(slice);
  }
  if (out.length === 0) fail(ctx, e.valuePos, "`slices` is empty", "list the output slices: `  - sources:` entries with `layer_range`");
  return out;
}
function parseSources(ctx, e) {
  const seq = expectSeq(ctx, e.value, e.valuePos, "`sources`", "write a list: `- model: org/repo` with `layer_range: [start, end]`");
  const out = [];
  const rangeNodes = [];
  const seen = /* @__PURE__ */ new Map();
  for (const { node, pos } of seqItems(ctx, seq)) {
    const map = expectMap(ctx, node, pos, "a slice source", "write `- model: org/repo` with `layer_range: [start, end]`");
    const entries = mapEntries(ctx, map, "a slice source");
    checkKeys(ctx, entries, ["model", "layer_range", "parameters"], "a slice source", inputKeyHint);
    const m = entryMap(entries);
    const me = m.get("model");
    if (!present(me)) fail(ctx, me ? me.keyPos : pos, "a slice source has no `model`", "write `- model: org/repo` with `layer_range: [start, end]`");
    const model2 = modelRefFromNode(ctx, me.value, me.valuePos, "`model`");
    const prev = seen.get(model2.key);
    if (prev) {
      fail(
        ctx,
        model2.pos,
        `model \`${model2.key}\` appears twice in the sources of one slice (first at line ${prev.line})`,
        "mergekit keys a slice's inputs by model, so the two sources would collapse into one; put different layer ranges of one model in different slices"
      );
    }
    seen.set(model2.key, model2.pos);
    const le = m.get("layer_range");
    if (!present(le)) {
      fail(ctx, le ? le.keyPos : pos, "a slice source has no `layer_range`", "add `layer_range: [start, end]` (end exclusive), e.g. `layer_range: [0, 32]`");
    }
    const layerRange = parseLayerRange(ctx, le);
    rangeNodes.push(le.valuePos);
    out.push({ model: model2, layerRange, parameters: parseParamMap(ctx, m.get("parameters"), `the parameters of \`${model2.key}\``), pos });
  }
  if (out.length === 0) fail(ctx, e.valuePos, "`sources` is empty", "list at least one `- model: org/repo` with `layer_range: [start, end]`");
  const len0 = out[0].layerRange[1] - out[0].layerRange[0];
  out.forEach((s, i) => {
    const len = s.layerRange[1] - s.layerRange[0];
    if (len !== len0) {
      fail(
        ctx,
        rangeNodes[i],
        `all sources of a slice must have the same number of layers: [${out[0].layerRange.join(", ")}] has ${len0}, [${s.layerRange.join(", ")}] has ${len}`,
        "make every `layer_range` of this slice the same length (end \u2212 start)"
      );
    }
  });
  return out;
}
function parseLayerRange(ctx, e) {
  const hint = "write `layer_range: [start, end]` with integers 0 \u2264 start < end (end exclusive), e.g. `[0, 16]`";
  const seq = expectSeq(ctx, e.value, e.valuePos, "`layer_range`", hint);
  const items = seqItems(ctx, seq);
  if (items.length !== 2) fail(ctx, e.valuePos, `\`layer_range\` must have exactly two numbers, found ${items.length}`, hint);
  const nums = items.map(({ node, pos }) => {
    if (!(0, import_yaml3.isScalar)(node) || typeof node.value !== "number" || !Number.isInteger(node.value)) {
      fail(ctx, pos, `\`layer_range\` bounds must be integers, found ${describeNode(node)}`, hint);
    }
    if (node.value < 0) fail(ctx, pos, `\`layer_range\` bounds cannot be negative (${node.value})`, hint);
    return node.value;
  });
  const [start, end] = nums;
  if (start >= end) {
    fail(
      ctx,
      e.valuePos,
      `\`layer_range\` [${start}, ${end}] is empty or reversed: start must be less than end`,
      start === end ? "the end is exclusive: `[n, n + 1]` is one layer" : `did you mean \`[${end}, ${start}]\`? the end is exclusive`
    );
  }
  return [start, end];
}
function parseParamMap(ctx, e, where) {
  const out = /* @__PURE__ */ new Map();
  if (!present(e)) return out;
  const map = expectMap(ctx, e.value, e.valuePos, "`parameters`", "write `parameters:` then indented `name: value` lines, e.g. `weight: 0.5`");
  for (const p of mapEntries(ctx, map, where)) {
    out.set(p.key, parseSetting(ctx, p.key, p.value, p.valuePos));
  }
  return out;
}
function finiteNumber(ctx, name, node, pos) {
  if (isNullNode(node)) fail(ctx, pos, `parameter \`${name}\` has no value`, "write a number, e.g. `" + name + ": 0.5`, or remove the key");
  if ((0, import_yaml3.isMap)(node) || (0, import_yaml3.isSeq)(node)) {
    fail(ctx, pos, `parameter \`${name}\`: expected a number here, found ${describeNode(node)}`, PARAM_VALUE_HINT);
  }
  const v = scalarNumber(node);
  if (v === void 0) {
    fail(ctx, pos, `parameter \`${name}\` must be a number, found ${describeNode(node)}`, PARAM_VALUE_HINT);
  }
  if (!Number.isFinite(v)) fail(ctx, pos, `parameter \`${name}\` must be a finite number, found ${v}`, PARAM_VALUE_HINT);
  return v;
}
function gradientValues(ctx, name, seq, pos) {
  const items = seqItems(ctx, seq);
  if (items.length === 0) {
    fail(ctx, pos, `parameter \`${name}\` is an empty list`, "a gradient needs at least one value, e.g. `[0, 0.5, 1]`");
  }
  return items.map((it) => {
    if ((0, import_yaml3.isMap)(it.node)) {
      fail(
        ctx,
        it.pos,
        `parameter \`${name}\` mixes numbers and \`{filter, value}\` entries in one list`,
        "write either a gradient (a list of numbers) or a list of `{filter, value}` entries, whose `value` may be a gradient"
      );
    }
    return finiteNumber(ctx, name, it.node, it.pos);
  });
}
function parseSetting(ctx, name, node, pos) {
  if ((0, import_yaml3.isSeq)(node)) {
    const items = seqItems(ctx, node);
    if (items.length > 0 && (0, import_yaml3.isMap)(items[0].node)) {
      const entries = items.map((it) => {
        if (!(0, import_yaml3.isMap)(it.node)) {
          fail(
            ctx,
            it.pos,
            `parameter \`${name}\` mixes \`{filter, value}\` entries and ${describeNode(it.node)} in one list`,
            "every entry of a conditional list is `- filter: <substring>` / `  value: <number or gradient>` (omit `filter` for the fallback)"
          );
        }
        return parseConditionalEntry(ctx, name, it.node, it.pos);
      });
      return { kind: "conditional", entries, pos };
    }
    return { kind: "gradient", values: gradientValues(ctx, name, node, pos), pos };
  }
  if ((0, import_yaml3.isMap)(node)) {
    return { kind: "conditional", entries: [parseConditionalEntry(ctx, name, node, pos)], pos };
  }
  return { kind: "scalar", value: finiteNumber(ctx, name, node, pos), pos };
}
function conditionalKeyHint(key) {
  if (["pattern", "match", "regex", "name", "tensor", "filters"].includes(key)) {
    return `the tensor-name selector is spelled \`filter\` (a substring of the tensor name); mergekit would silently ignore \`${key}\` and apply this value to every tensor`;
  }
  return void 0;
}
function parseConditionalEntry(ctx, name, node, pos) {
  const where = `a conditional entry of \`${name}\``;
  const entries = mapEntries(ctx, node, where);
  checkKeys(ctx, entries, ["filter", "value"], where, conditionalKeyHint);
  const m = entryMap(entries);
  const ve = m.get("value");
  if (!present(ve)) {
    fail(ctx, ve ? ve.keyPos : pos, `${where} has no \`value\``, "write `- filter: self_attn` and `  value: 0.5` (omit `filter` for the fallback entry)");
  }
  let value;
  if ((0, import_yaml3.isSeq)(ve.value)) {
    value = gradientValues(ctx, name, ve.value, ve.valuePos);
  } else if ((0, import_yaml3.isMap)(ve.value)) {
    return fail(ctx, ve.valuePos, `${where}: \`value\` cannot itself be conditional`, "a conditional `value` is a number or a gradient list; list further filters as separate entries");
  } else {
    value = finiteNumber(ctx, name, ve.value, ve.valuePos);
  }
  const entry = { value, pos };
  const fe = m.get("filter");
  if (present(fe)) {
    entry.filter = expectString(
      ctx,
      fe.value,
      fe.valuePos,
      "`filter`",
      "a filter is a substring of the tensor name, e.g. `self_attn`, `mlp`, `layers.3.` (quote it if it looks like a number)"
    );
  }
  return entry;
}
var DTYPE_NAMES = Object.keys(TORCH_DTYPE_NAMES);
function parseDType(ctx, e) {
  if (!present(e)) return void 0;
  const allowed = `use one of ${listNames(["bfloat16", "float16", "float32"])} (also ${listNames(DTYPE_NAMES.filter((n) => !["bfloat16", "float16", "float32"].includes(n)))}, optionally prefixed \`torch.\`)`;
  const s = expectString(ctx, e.value, e.valuePos, `\`${e.key}\``, allowed);
  const d = parseTorchDType(s);
  if (d) return d;
  const bare = s.startsWith("torch.") ? s.slice(6) : s;
  if (bare === "int64") {
    fail(ctx, e.valuePos, `\`${e.key}: ${s}\` is not supported: merges are computed and written in floating point`, allowed);
  }
  const guess = didYouMean(bare, DTYPE_NAMES);
  fail(ctx, e.valuePos, guess ? `unknown ${e.key} \`${s}\`; did you mean \`${guess}\`?` : `unknown ${e.key} \`${s}\``, allowed);
}
function parseTokenizerSource(ctx, node, pos, what) {
  if ((0, import_yaml3.isScalar)(node) && (node.value === "union" || node.value === "base")) return node.value;
  return modelRefFromNode(ctx, node, pos, what);
}
function parseTokenizer(ctx, e) {
  const map = expectMap(ctx, e.value, e.valuePos, "`tokenizer`", "write `tokenizer:` then `  source: union` (or `base`, or a model), optional `tokens:` and `pad_to_multiple_of:`");
  const entries = mapEntries(ctx, map, "`tokenizer`");
  checkKeys(ctx, entries, ["source", "tokens", "pad_to_multiple_of"], "`tokenizer`");
  const m = entryMap(entries);
  const spec = { source: "union", tokens: /* @__PURE__ */ new Map(), pos: e.valuePos };
  const se = m.get("source");
  if (present(se)) spec.source = parseTokenizerSource(ctx, se.value, se.valuePos, "tokenizer `source`");
  const pe = m.get("pad_to_multiple_of");
  if (present(pe)) {
    const v = pe.value;
    if (!(0, import_yaml3.isScalar)(v) || typeof v.value !== "number" || !Number.isInteger(v.value) || v.value < 1) {
      fail(ctx, pe.valuePos, `\`pad_to_multiple_of\` must be a positive integer, found ${describeNode(v)}`, "write e.g. `pad_to_multiple_of: 64`");
    }
    spec.padToMultipleOf = v.value;
  }
  const te = m.get("tokens");
  if (present(te)) {
    const tmap = expectMap(ctx, te.value, te.valuePos, "`tokens`", 'write `tokens:` then `  "<token>": {source: org/model, force: false}` entries');
    for (const t of mapEntries(ctx, tmap, "`tokens`")) {
      spec.tokens.set(t.key, parseTokenConfig(ctx, t));
    }
  }
  return spec;
}
function parseTokenConfig(ctx, t) {
  const out = { force: false, pos: t.keyPos };
  if (!present(t)) return out;
  const where = `the configuration of token ${JSON.stringify(t.key)}`;
  const map = expectMap(ctx, t.value, t.valuePos, where, "write `source:` (a model, `{kind: model_token, ...}` or `{kind: zero}`) and optional `force: true`");
  const entries = mapEntries(ctx, map, where);
  checkKeys(ctx, entries, ["source", "force"], where);
  const m = entryMap(entries);
  const fe = m.get("force");
  if (present(fe)) {
    const b = scalarBoolean(fe.value);
    if (b === void 0) fail(ctx, fe.valuePos, `\`force\` must be true or false, found ${describeNode(fe.value)}`, "write `force: true` or `force: false`");
    out.force = b;
  }
  const se = m.get("source");
  if (present(se)) out.source = parseTokenSource(ctx, se.value, se.valuePos);
  return out;
}
function parseTokenSource(ctx, node, pos) {
  if ((0, import_yaml3.isMap)(node)) {
    const entries = mapEntries(ctx, node, "a token `source`");
    const m = entryMap(entries);
    const ke = m.get("kind");
    if (ke) {
      const kinds = ["model_token", "zero"];
      const kind = expectString(ctx, ke.value, ke.valuePos, "`kind`", `use ${listNames(kinds)}`);
      if (kind === "zero") {
        checkKeys(ctx, entries, ["kind"], "a `{kind: zero}` token source");
        return { kind: "zero" };
      }
      if (kind !== "model_token") {
        const guess = didYouMean(kind, kinds);
        fail(
          ctx,
          ke.valuePos,
          guess ? `unknown token source kind \`${kind}\`; did you mean \`${guess}\`?` : `unknown token source kind \`${kind}\``,
          'use `{kind: model_token, model: org/model, token: "<tok>"}` (or `token_id: 123`), `{kind: zero}`, or just a model reference'
        );
      }
      checkKeys(ctx, entries, ["kind", "model", "token", "token_id"], "a `model_token` token source");
      const me = m.get("model");
      if (!present(me)) fail(ctx, me ? me.keyPos : pos, "a `model_token` token source has no `model`", "add `model: org/model`");
      const spec = { kind: "model_token", model: modelRefFromNode(ctx, me.value, me.valuePos, "`model`") };
      const tk = m.get("token");
      const ti = m.get("token_id");
      if (present(tk) && present(ti)) {
        fail(ctx, isBefore(tk.keyPos, ti.keyPos) ? ti.keyPos : tk.keyPos, "give only one of `token` and `token_id`", 'keep `token: "<tok>"` or `token_id: 123`, not both');
      }
      if (present(tk)) {
        spec.token = expectString(ctx, tk.value, tk.valuePos, "`token`", 'write the token text in quotes, e.g. `token: "<|im_start|>"`');
      } else if (present(ti)) {
        const v = ti.value;
        if (!(0, import_yaml3.isScalar)(v) || typeof v.value !== "number" || !Number.isInteger(v.value) || v.value < 0) {
          fail(ctx, ti.valuePos, `\`token_id\` must be a non-negative integer, found ${describeNode(v)}`, "write e.g. `token_id: 32000`");
        }
        spec.tokenId = v.value;
      } else {
        fail(ctx, posOf(ctx, node), "a `model_token` token source needs `token` or `token_id`", 'add `token: "<tok>"` or `token_id: 123`');
      }
      return spec;
    }
  }
  return { kind: "model", model: modelRefFromNode(ctx, node, pos, "token `source`") };
}
function parseChatTemplate(ctx, e) {
  const names = CHAT_TEMPLATE_NAMES;
  const hint = `use \`auto\`, a built-in template (${listNames(names.slice(1))}) or a Jinja template string`;
  const s = expectString(ctx, e.value, e.valuePos, "`chat_template`", hint);
  if (names.includes(s)) return s;
  if (s.length < 20 || !s.includes("{")) {
    const guess = didYouMean(s, names);
    fail(ctx, e.valuePos, guess ? `unknown chat template \`${s}\`; did you mean \`${guess}\`?` : `\`chat_template\` \`${s}\` is neither a built-in template name nor a Jinja template`, hint);
  }
  return s;
}
var UNITS = {
  "": 1,
  b: 1e9,
  // mergekit: a bare number is bytes, `B` means billion (5B = 5 GB)
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40
};
function parseByteSize(text) {
  const mt = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text.replace(/_/g, ""));
  if (!mt) return void 0;
  const unit = UNITS[mt[2].toLowerCase()];
  if (unit === void 0) return void 0;
  const v = Math.round(Number(mt[1]) * unit);
  return Number.isSafeInteger(v) ? v : void 0;
}
function parseMergeops(ctx, e) {
  const out = { extra: /* @__PURE__ */ new Map() };
  if (!present(e)) return out;
  const map = expectMap(ctx, e.value, e.valuePos, "`mergeops`", "write `mergeops:` then indented options, e.g. `seed: 42`, `quantize: [Q4_K_M, Q8_0]`");
  for (const o of mapEntries(ctx, map, "`mergeops`")) {
    switch (o.key) {
      case "seed": {
        if (!present(o)) break;
        const v = o.value;
        if (!(0, import_yaml3.isScalar)(v) || typeof v.value !== "number" || !Number.isSafeInteger(v.value) || v.value < 0) {
          fail(ctx, o.valuePos, `\`seed\` must be a non-negative integer, found ${describeNode(v)}`, "write e.g. `seed: 42`");
        }
        out.seed = v.value;
        break;
      }
      case "quantize": {
        if (!present(o)) break;
        const hint = "write a GGUF type or a list of them, e.g. `quantize: Q4_K_M` or `quantize: [Q4_K_M, Q8_0]`";
        const items = (0, import_yaml3.isSeq)(o.value) ? seqItems(ctx, o.value) : [{ node: o.value, pos: o.valuePos }];
        const seen = /* @__PURE__ */ new Map();
        out.quantize = items.map(({ node, pos }) => {
          const s = expectString(ctx, node, pos, "a `quantize` type", hint);
          if (s.trim() === "") fail(ctx, pos, "empty `quantize` type", hint);
          const prev = seen.get(s.toUpperCase());
          if (prev) fail(ctx, pos, `\`quantize\` lists \`${s}\` twice (first at line ${prev.line}, column ${prev.col})`, "list each GGUF type once");
          seen.set(s.toUpperCase(), pos);
          return s;
        });
        break;
      }
      case "out_shard_size": {
        if (!present(o)) break;
        const hint = "write a size in bytes: a number, or a string like `5B` / `2G` / `500M` (powers of 1000, as mergekit's `--out-shard-size`) or `4GiB`";
        const v = o.value;
        let size;
        if ((0, import_yaml3.isScalar)(v) && typeof v.value === "number") size = Number.isSafeInteger(v.value) ? v.value : void 0;
        else if ((0, import_yaml3.isScalar)(v) && typeof v.value === "string") size = parseByteSize(v.value);
        if (size === void 0 || size <= 0) {
          fail(ctx, o.valuePos, `\`out_shard_size\` must be a positive size in bytes, found ${describeNode(v)}`, hint);
        }
        out.outShardSize = size;
        break;
      }
      default:
        out.extra.set(o.key, { value: o.value === null ? null : o.value.toJS(ctx.doc), pos: o.valuePos });
    }
  }
  return out;
}

// src/recipe/parameters.ts
function checkT(t) {
  if (!(t >= 0 && t <= 1)) throw new RangeError(`gradient position t must be in [0, 1], got ${t}`);
}
function evaluateGradient(values, t) {
  checkT(t);
  if (values.length === 0) throw new RangeError("empty gradient");
  const k = values.length - 1;
  const s = t * k;
  const i0 = Math.trunc(s);
  const i1 = Math.min(k, i0 + 1);
  const f = s - i0;
  return (1 - f) * values[i0] + f * values[i1];
}
function evaluateValue(value, t) {
  return typeof value === "number" ? value : evaluateGradient(value, t);
}
function filterMatches(filter, tensorName) {
  return filter === void 0 || filter === "*" || tensorName !== "" && tensorName.includes(filter);
}
function evaluateSetting(setting, tensorName, t) {
  switch (setting.kind) {
    case "scalar":
      return setting.value;
    case "gradient":
      return evaluateGradient(setting.values, t);
    case "conditional":
      for (const entry of setting.entries) {
        if (filterMatches(entry.filter, tensorName)) return evaluateValue(entry.value, t);
      }
      return void 0;
  }
}
function resolveParameter(name, levels, tensorName, t) {
  for (const level of levels) {
    const setting = level.get(name);
    if (setting === void 0) continue;
    const v = evaluateSetting(setting, tensorName, t);
    if (v !== void 0) return v;
  }
  return void 0;
}
function layerT(indexInSlice, sliceLength) {
  if (!Number.isInteger(sliceLength) || sliceLength < 1) throw new RangeError(`slice length must be a positive integer, got ${sliceLength}`);
  if (!Number.isInteger(indexInSlice) || indexInSlice < 0 || indexInSlice >= sliceLength) {
    throw new RangeError(`layer index ${indexInSlice} outside a slice of ${sliceLength} layers`);
  }
  return sliceLength > 1 ? indexInSlice / (sliceLength - 1) : 1;
}

// src/plan/plan.ts
var DEFAULT_SHARD_BYTES = 5e9;
var DONOR_FILES = [
  "tokenizer_config.json",
  "special_tokens_map.json",
  "tokenizer.json",
  "tokenizer.model",
  "added_tokens.json",
  "merges.txt",
  "vocab.json",
  "chat_template.jinja",
  "chat_template.json",
  "generation_config.json"
];
var EMPTY = /* @__PURE__ */ new Map();
function recipeError2(recipe, pos, message, hint) {
  return new RecipeError(message, hint, pos, recipe.lines[pos.line - 1]);
}
function lookupMethod(recipe) {
  const m = getMethod(recipe.mergeMethod);
  if (m) return m;
  const pending = MERGEKIT_METHODS_PENDING.includes(recipe.mergeMethod);
  const guess = pending ? void 0 : didYouMean(recipe.mergeMethod, [...methodNames(), ...MERGEKIT_METHODS_PENDING]);
  throw recipeError2(
    recipe,
    recipe.mergeMethodPos,
    pending ? `merge method \`${recipe.mergeMethod}\` is not implemented yet` : `unknown merge method \`${recipe.mergeMethod}\`${guess ? `; did you mean \`${guess}\`?` : ""}`,
    `available methods: ${methodNames().join(", ")}`
  );
}
function model(resolved, ref) {
  const m = resolved.models.get(ref.key);
  if (!m) throw new MergeopsError("INTERNAL", `model ${ref.key} was not resolved`, "report this as a bug");
  return m;
}
function buildSlices(resolved, method) {
  const { recipe } = resolved;
  const baseRef = recipe.baseModel;
  if (method.base === "required" && !baseRef && !(recipe.slices ?? []).every((s) => s.baseModel)) {
    throw recipeError2(
      recipe,
      recipe.mergeMethodPos,
      `merge method \`${method.name}\` needs a base model`,
      "add `base_model: <the model the others were fine-tuned from>` at the top level of the recipe"
    );
  }
  const withBase = (sources, base, layerStart) => {
    if (!base || method.base === "none") return sources;
    let found = false;
    for (const s of sources) if (s.ref.key === base.key) {
      s.isBase = method.base !== "input";
      found = true;
    }
    if (!found) sources.push({ model: model(resolved, base), ref: base, layerStart, params: EMPTY, isBase: method.base !== "input" });
    return sources;
  };
  if (recipe.models) {
    const sources = recipe.models.map((s) => ({
      model: model(resolved, s.model),
      ref: s.model,
      layerStart: 0,
      params: s.parameters,
      isBase: false
    }));
    withBase(sources, baseRef, 0);
    const counts = new Set(sources.map((s) => s.model.arch.numLayers));
    if (counts.size > 1) {
      throw recipeError2(
        recipe,
        recipe.models[0].pos,
        `the models have different layer counts (${sources.map((s) => `${s.ref.key}: ${s.model.arch.numLayers}`).join(", ")})`,
        "use `slices:` with explicit `layer_range`s to say which layers go together"
      );
    }
    return [{ sources, params: EMPTY, numLayers: sources[0].model.arch.numLayers, pos: recipe.pos }];
  }
  return (recipe.slices ?? []).map((slice) => {
    const lengths = /* @__PURE__ */ new Set();
    const sources = slice.sources.map((s) => {
      const m = model(resolved, s.model);
      const [a, b] = s.layerRange ?? [0, m.arch.numLayers];
      if (b > m.arch.numLayers) {
        throw recipeError2(
          recipe,
          s.pos,
          `layer_range [${a}, ${b}] goes past the last layer of \`${s.model.key}\`, which has ${m.arch.numLayers} layers`,
          `use an end of at most ${m.arch.numLayers} (the end is exclusive)`
        );
      }
      lengths.add(b - a);
      return { model: m, ref: s.model, layerStart: a, params: s.parameters, isBase: false };
    });
    if (lengths.size > 1) {
      throw recipeError2(
        recipe,
        slice.pos,
        "all sources of a slice must span the same number of layers",
        "make every `layer_range` in this slice the same length"
      );
    }
    withBase(sources, slice.baseModel ?? baseRef, sources[0]?.layerStart ?? 0);
    return { sources, params: slice.parameters, numLayers: [...lengths][0] ?? 0, pos: slice.pos };
  });
}
function buildPlan(resolved, opts = {}) {
  const { recipe } = resolved;
  const method = lookupMethod(recipe);
  const slices = buildSlices(resolved, method);
  if (slices.length === 0) {
    throw recipeError2(recipe, recipe.pos, "the recipe merges nothing", "list at least one model under `models:` or `slices:`");
  }
  const first = slices[0].sources[0].model;
  const def = first.arch.def;
  const totalLayers = slices.reduce((a, s) => a + s.numLayers, 0);
  const weights = [];
  for (const w2 of def.preWeights) weights.push({ def: w2, outName: w2.name, layerOf: () => void 0, slice: slices[0], t: 0 });
  let outLayer = 0;
  for (const slice of slices) {
    for (let i = 0; i < slice.numLayers; i++, outLayer++) {
      const t = layerT(i, slice.numLayers);
      const li = i;
      for (const w2 of def.layerWeights) {
        weights.push({ def: w2, outName: w2.name.replaceAll("${layer_index}", String(outLayer)), layerOf: (s) => s.layerStart + li, slice, t });
      }
    }
  }
  const last = slices[slices.length - 1];
  for (const w2 of def.postWeights) weights.push({ def: w2, outName: w2.name, layerOf: () => void 0, slice: last, t: 0 });
  const outDtypeOverride = recipe.outDtype ?? recipe.dtype;
  const tied = first.config.tie_word_embeddings === true || first.config.tie_word_embeddings === void 0 && !first.tensors.has("lm_head.weight");
  const used = /* @__PURE__ */ new Set();
  const tensors = [];
  const warnings = [];
  for (const w2 of weights) {
    const present2 = [];
    const missing2 = [];
    for (const s of w2.slice.sources) {
      const avail = new Set(s.model.tensors.keys());
      const name = w2.def.tiedNames && tied ? findTensorName({ ...w2.def, tiedNames: void 0 }, w2.layerOf(s), avail) : findTensorName(w2.def, w2.layerOf(s), avail);
      if (name) present2.push({ s, name });
      else missing2.push(s);
    }
    if (present2.length === 0) {
      if (w2.def.optional) continue;
      throw new MergeopsError(
        "TENSOR_MISSING",
        `tensor ${w2.outName} is required but no model has it (${w2.slice.sources.map((s) => s.ref.key).join(", ")})`,
        "check that every model is a complete checkpoint of the same architecture"
      );
    }
    if (missing2.length > 0 && !w2.def.optional && !method.singleInput) {
      const m = missing2[0];
      const want = w2.def.name.replaceAll("${layer_index}", String(w2.layerOf(m) ?? ""));
      throw new MergeopsError(
        "TENSOR_MISSING",
        `model \`${m.ref.key}\` has no tensor ${want} (needed for ${w2.outName}); ${present2.map((p) => p.s.ref.key).join(", ")} ha${present2.length > 1 ? "ve" : "s"} it`,
        "the checkpoint may be incomplete or of another architecture; re-download it or remove it from the recipe"
      );
    }
    present2.sort((a, b) => Number(b.s.isBase) - Number(a.s.isBase));
    const global = {};
    for (const p of method.globalParams) {
      global[p.name] = resolveParameter(p.name, [w2.slice.params, recipe.parameters], w2.outName, w2.t) ?? p.default;
      if (global[p.name] === void 0 && p.required) {
        throw recipeError2(
          recipe,
          recipe.mergeMethodPos,
          `missing required parameter \`${p.name}\` of ${method.name} for tensor ${w2.outName}`,
          `add \`parameters: {${p.name}: \u2026}\` at the top level of the recipe`
        );
      }
    }
    const inputs = present2.map(({ s, name }) => {
      const params = {};
      for (const p of method.perModelParams) {
        const v = resolveParameter(p.name, [s.params, w2.slice.params, recipe.parameters], name, w2.t) ?? p.default;
        if (v === void 0 && p.required && !s.isBase) {
          throw recipeError2(
            recipe,
            s.ref.pos,
            `missing required parameter \`${p.name}\` for model \`${s.ref.key}\` (tensor ${name})`,
            `give the model \`parameters: {${p.name}: \u2026}\`, or set \`${p.name}\` under the top-level \`parameters:\``
          );
        }
        const err2 = v === void 0 ? void 0 : p.validate?.(v);
        if (err2) throw recipeError2(recipe, s.ref.pos, `parameter \`${p.name}\` of \`${s.ref.key}\`: ${err2}`, `fix the value of \`${p.name}\``);
        params[p.name] = v;
      }
      return { modelKey: s.ref.key, isBase: s.isBase, params };
    });
    const refs = present2.map(({ s, name }) => {
      const t = s.model.tensors.get(name);
      used.add(`${s.model.key}\0${name}`);
      return { modelKey: s.model.key, tensor: name, file: t.file, start: t.start, end: t.end, dtype: t.dtype, shape: t.shape, producer: t.producer };
    });
    const shape = refs[0].shape;
    for (const r of refs) {
      if (r.shape.length !== shape.length || r.shape.some((d, i) => d !== shape[i])) {
        throw new MergeopsError(
          "SHAPE_MISMATCH",
          `tensor ${w2.outName}: \`${refs[0].modelKey}\` has shape [${shape.join(", ")}] but \`${r.modelKey}\` has [${r.shape.join(", ")}]`,
          w2.def.isEmbed ? "the vocabularies differ; merging models with different vocabularies needs a tokenizer configuration (not available yet) \u2014 merge models that share a tokenizer" : "these models do not share an architecture size; merge models of the same size"
        );
      }
    }
    const planned = method.planTensor({ tensor: w2.outName, inputs, global });
    if ("error" in planned) throw recipeError2(recipe, recipe.mergeMethodPos, planned.error, planned.hint);
    const inDtype = refs[0].dtype;
    const floatIn = refs.every((r) => isFloatDType(r.dtype));
    if (!floatIn && refs.length > 1) warnings.push(`${w2.outName} is ${inDtype}: copied from \`${refs[0].modelKey}\`, not merged`);
    const op = floatIn ? planned.op : { kind: "copy" };
    const dtype = floatIn ? outDtypeOverride ?? inDtype : inDtype;
    tensors.push({
      name: w2.outName,
      shape,
      dtype,
      op,
      inputs: floatIn ? refs : [refs[0]],
      shard: 0,
      start: 0,
      end: 0
    });
  }
  const shardBytes = opts.outShardSize ?? recipe.mergeops.outShardSize ?? DEFAULT_SHARD_BYTES;
  const specs = tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  const shardPlans = planShards(specs, shardBytes);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const shards = [];
  const weightMap = {};
  let totalTensorBytes = 0;
  shardPlans.forEach((sp, si) => {
    const { header, entries } = buildSafetensorsHeader(sp.tensors, { format: "pt" });
    let size = header.length;
    for (const e of entries) {
      const t = byName.get(e.name);
      t.shard = si;
      t.start = e.start;
      t.end = e.end;
      size = Math.max(size, e.end);
      weightMap[e.name] = sp.fileName;
      totalTensorBytes += e.end - e.start;
    }
    shards.push({ fileName: sp.fileName, header, size });
  });
  tensors.sort((a, b) => a.shard - b.shard || a.start - b.start);
  const outDtypeName = outDtypeOverride ? torchDTypeName(outDtypeOverride) : void 0;
  const donorModel = recipe.baseModel ? model(resolved, recipe.baseModel) : first;
  const outConfig = { ...donorModel.config };
  outConfig[def.numLayersKey] = totalLayers;
  if (outDtypeName) {
    if ("dtype" in outConfig) outConfig.dtype = outDtypeName;
    if ("torch_dtype" in outConfig || !("dtype" in outConfig)) outConfig.torch_dtype = outDtypeName;
  }
  const ignored = /* @__PURE__ */ new Set();
  for (const m of resolved.models.values()) {
    for (const name of m.tensors.keys()) if (!used.has(`${m.key}\0${name}`) && !isKnownWeight(def, name)) ignored.add(name);
  }
  for (const name of ignored) warnings.push(`${name} is not part of the ${def.id} architecture: not written`);
  const inputBytes2 = tensors.reduce((a, t) => a + readBytes(t), 0);
  const outputBytes = shards.reduce((a, s) => a + s.size, 0);
  return {
    recipe,
    methodName: method.name,
    tensors,
    shards,
    indexJson: shards.length > 1 ? buildIndexJson(weightMap, totalTensorBytes, { mergeops_version: "0.1.0" }) : void 0,
    outConfig,
    donor: { modelKey: donorModel.key, dir: donorModel.dir, files: donorModel.otherFiles.filter((f) => DONOR_FILES.includes(f)) },
    ignoredTensors: [...ignored],
    warnings,
    estimates: {
      inputBytes: inputBytes2,
      outputBytes,
      largestTensorBytes: tensors.reduce((a, t) => Math.max(a, t.end - t.start), 0),
      diskBytes: outputBytes
    }
  };
}
function readBytes(t) {
  return t.inputs.reduce((a, r) => a + (r.producer ? readBytes(r.producer) : r.end - r.start), 0);
}
function isKnownWeight(def, name) {
  const plain = [...def.preWeights, ...def.postWeights];
  if (plain.some((w2) => w2.name === name || w2.aliases?.includes(name) || w2.tiedNames?.includes(name))) return true;
  return def.layerWeights.some((w2) => new RegExp(`^${escapeRe(w2.name).replace("\\$\\{layer_index\\}", "\\d+")}$`).test(name));
}
function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// src/pipeline.ts
function loadRecipeFile(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new MergeopsError("USAGE", `cannot read recipe ${file}`, "check the path of the recipe file");
  }
  return parseRecipeText(text, file);
}
async function planRecipeFile(file, opts = {}) {
  const docs = loadRecipeFile(file);
  if (docs.length === 1) return buildPlan(await resolveRecipe(docs[0], opts), opts);
  const graph = stageGraph(docs);
  const plans = /* @__PURE__ */ new Map();
  const stages = [];
  let final;
  for (const doc of graph.order) {
    const plan = buildPlan(await resolveRecipe(doc, { ...opts, stages: plans }), opts);
    if (doc === graph.final) final = plan;
    else {
      plans.set(doc.name, plan);
      stages.push({ name: doc.name, plan });
    }
  }
  final.stages = stages;
  const unused = stages.filter((s) => !usesStage(final, s.plan));
  for (const s of unused) final.warnings.push(`stage \`${s.name}\` is not used by the final merge (written only with --keep-intermediates)`);
  return final;
}
function usesStage(plan, stage) {
  const seen = new Set(stage.tensors);
  const walk = (t) => t.inputs.some((r) => r.producer !== void 0 && (seen.has(r.producer) || walk(r.producer)));
  return plan.tensors.some(walk);
}

// src/cli/format.ts
function bytes(n) {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1e3 && i < units.length - 1) {
    v /= 1e3;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}
function rate(bytesPerSecond) {
  return `${bytes(bytesPerSecond)}/s`;
}
function duration(seconds) {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

// src/cli/progress.ts
function progressReporter(stream) {
  const tty = stream.isTTY === true;
  let lastLine = 0;
  return (p) => {
    const frac = p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : 1;
    const speed = p.elapsed > 0 ? p.bytesRead / p.elapsed : 0;
    const eta = speed > 0 ? (p.bytesTotal - p.bytesRead) / speed : NaN;
    const text = `${(frac * 100).toFixed(0).padStart(3)}%  ${p.tensorsDone}/${p.tensorsTotal} tensors  ${bytes(p.bytesRead)} / ${bytes(p.bytesTotal)} read  ${rate(speed)}  ETA ${duration(eta)}`;
    if (tty) {
      const width = 24;
      const fill = Math.round(frac * width);
      stream.write(`\r[${"#".repeat(fill)}${" ".repeat(width - fill)}] ${text}\x1B[K`);
      if (p.tensorsDone === p.tensorsTotal) stream.write("\n");
    } else {
      const step = Math.floor(frac * 10);
      if (step !== lastLine || p.tensorsDone === p.tensorsTotal) {
        lastLine = step;
        stream.write(`progress: ${text}
`);
      }
    }
  };
}

// src/cli/main.ts
var VERSION = "0.1.0";
var USAGE = `mergeops ${VERSION} \u2014 merge models from mergekit recipes

Usage:
  mergeops plan <recipe.yml> [--out-shard-size SIZE] [--json]
  mergeops run  <recipe.yml> --out DIR [--max-memory SIZE] [--threads N]
                [--out-shard-size SIZE] [--overwrite] [--keep-intermediates DIR]

Options:
  --out DIR              output folder (written to a temporary sibling, renamed at the end)
  --max-memory SIZE      memory the whole process may use, e.g. 4G, 512MiB (default: half of RAM, \u2264 16 GiB)
  --threads N            kernel worker threads (default: one per core)
  --out-shard-size SIZE  safetensors shard size, e.g. 5B (default), 500M, 2GiB
  --overwrite            replace an existing output folder
  --keep-intermediates DIR
                         multi-stage recipes: also write each named stage to DIR/<name>
                         (by default earlier stages are computed in memory, never written)
  --json                 print the plan as JSON
  -h, --help             this text
  -v, --version          the version
`;
function sizeOption(v, name) {
  if (v === void 0) return void 0;
  try {
    return parseShardSize(v);
  } catch {
    throw new MergeopsError("USAGE", `--${name} ${v} is not a size`, "use a number of bytes or a suffix: 512M, 4G, 2GiB");
  }
}
function printPlan(plan) {
  const out = process.stdout;
  out.write(`method: ${plan.methodName}
`);
  out.write(`models: ${[...new Set(plan.tensors.flatMap((t) => t.inputs.map((i) => i.modelKey)))].join(", ")}
`);
  out.write(`output: ${plan.tensors.length} tensors in ${plan.shards.length} shard(s), ${bytes(plan.estimates.outputBytes)}
`);
  out.write(`reads: ${bytes(plan.estimates.inputBytes)}; largest tensor ${bytes(plan.estimates.largestTensorBytes)}; disk needed ${bytes(plan.estimates.diskBytes)}; memory: bounded by --max-memory (default ${bytes(defaultMaxMemory())})
`);
  out.write("\n  tensor                                              shape            dtype  op                  inputs\n");
  for (const t of plan.tensors) {
    const op = t.op.kind === "linear" ? `linear ${t.op.weights.map((w2) => +w2.toFixed(4)).join("/")}` : t.op.kind === "task_arithmetic" ? `task_arith \u03BB${+t.op.lambda.toFixed(4)}` : t.op.kind === "program" ? t.op.method : t.op.scale !== void 0 ? `copy \xD7${t.op.scale}` : "copy";
    out.write(`  ${t.name.padEnd(51)} ${`[${t.shape.join(",")}]`.padEnd(16)} ${t.dtype.padEnd(6)} ${op.padEnd(19)} ${t.inputs.map((i) => i.tensor === t.name ? i.modelKey : `${i.modelKey}:${i.tensor}`).join(" ")}
`);
  }
  for (const w2 of plan.warnings) out.write(`warning: ${w2}
`);
}
function planJson(plan) {
  return {
    method: plan.methodName,
    shards: plan.shards.map((s) => ({ file: s.fileName, bytes: s.size })),
    tensors: plan.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      dtype: t.dtype,
      op: t.op,
      shard: plan.shards[t.shard].fileName,
      inputs: t.inputs.map((i) => ({ model: i.modelKey, tensor: i.tensor, dtype: i.dtype }))
    })),
    estimates: plan.estimates,
    warnings: plan.warnings
  };
}
async function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      "max-memory": { type: "string" },
      threads: { type: "string", short: "j" },
      "out-shard-size": { type: "string" },
      overwrite: { type: "boolean" },
      "keep-intermediates": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" }
    }
  });
  if (values.version) {
    process.stdout.write(`${VERSION}
`);
    return 0;
  }
  const [command, recipeFile] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command !== "plan" && command !== "run") {
    throw new MergeopsError("USAGE", `unknown command \`${command}\``, "use `mergeops plan` or `mergeops run` (see --help)");
  }
  if (!recipeFile) throw new MergeopsError("USAGE", `\`mergeops ${command}\` needs a recipe file`, `mergeops ${command} recipe.yml`);
  const plan = await planRecipeFile(recipeFile, { outShardSize: sizeOption(values["out-shard-size"], "out-shard-size") });
  if (command === "plan") {
    if (values.json) process.stdout.write(JSON.stringify(planJson(plan), null, 2) + "\n");
    else printPlan(plan);
    return 0;
  }
  if (!values.out) throw new MergeopsError("USAGE", "`mergeops run` needs --out DIR", "mergeops run recipe.yml --out ./merged");
  const threads = values.threads === void 0 ? void 0 : Number(values.threads);
  if (threads !== void 0 && !(Number.isInteger(threads) && threads >= 1)) {
    throw new MergeopsError("USAGE", `--threads ${values.threads} is not a positive whole number`, "e.g. --threads 2");
  }
  for (const w2 of plan.warnings) process.stderr.write(`warning: ${w2}
`);
  process.stderr.write(`merging ${plan.tensors.length} tensors (${bytes(plan.estimates.inputBytes)} to read) with ${plan.methodName}
`);
  const execOpts = {
    maxMemory: sizeOption(values["max-memory"], "max-memory"),
    threads,
    overwrite: values.overwrite ?? false,
    onProgress: progressReporter(process.stderr)
  };
  const keep = values["keep-intermediates"];
  if (keep !== void 0) {
    for (const s of plan.stages ?? []) {
      process.stderr.write(`stage ${s.name}: ${s.plan.tensors.length} tensors with ${s.plan.methodName}
`);
      const r = await executePlan(s.plan, { ...execOpts, outDir: join2(keep, s.name) });
      process.stdout.write(`wrote stage ${s.name} to ${r.outDir} in ${duration(r.seconds)}
`);
    }
  } else if (plan.stages?.length) {
    process.stderr.write(`fusing ${plan.stages.length} earlier stage(s) in memory: ${plan.stages.map((s) => s.name).join(", ")}
`);
  }
  const result = await executePlan(plan, { ...execOpts, outDir: values.out });
  process.stdout.write(`wrote ${result.outDir} in ${duration(result.seconds)} (${rate(result.bytesRead / result.seconds)} read)
`);
  for (const f of result.files) process.stdout.write(`  ${f.name.padEnd(40)} ${bytes(f.bytes)}
`);
  return 0;
}
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof MergeopsError) process.stderr.write(e.format() + "\n");
    else if (e instanceof Error && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`error: ${e.message}
  hint: see \`mergeops --help\`
`);
    } else process.stderr.write(`internal error: ${e instanceof Error ? e.stack : String(e)}
`);
    process.exitCode = e instanceof MergeopsError && e.code === "USAGE" ? 2 : 1;
  }
);
