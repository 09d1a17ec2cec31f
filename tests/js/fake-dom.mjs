// Just enough of a DOM for the uploader's modules to run under node, without a dependency:
// elements with attributes, classes, dataset, text and a tree; compound selectors (tag, .class,
// [attr], [attr=value], :enabled, no combinators); events that bubble; focus. Not a browser: the
// browser tests (tests/browser/) check the real thing.

const SELECTOR_PART = /([a-z][\w-]*)|\.([\w-]+)|\[([\w-]+)(?:=(?:"([^"]*)"|([^\]]*)))?\]|:(enabled)|(\*)/gy

function parseSelector(selector) {
  return selector.split(",").map((compound) => {
    const text = compound.trim()
    const parts = []
    SELECTOR_PART.lastIndex = 0
    while (SELECTOR_PART.lastIndex < text.length) {
      const match = SELECTOR_PART.exec(text)
      if (!match) throw new Error(`fake-dom cannot read the selector ${JSON.stringify(selector)}`)
      const [, tag, className, attribute, quoted, bare, enabled] = match
      if (tag) parts.push((element) => element.localName === tag)
      else if (className) parts.push((element) => element.classList.contains(className))
      else if (attribute) {
        const value = quoted ?? bare
        parts.push((element) =>
          value === undefined ? element.hasAttribute(attribute) : element.getAttribute(attribute) === value,
        )
      } else if (enabled) parts.push((element) => !element.disabled)
    }
    return (element) => parts.every((part) => part(element))
  })
}

class Listeners {
  constructor() {
    this.byType = new Map()
  }

  // A listener added with a signal is dropped once the signal aborts (checked at dispatch).
  addEventListener(type, handler, { once = false, signal } = {}) {
    if (!handler || signal?.aborted) return
    const list = this.byType.get(type) ?? []
    list.push({ handler, once, signal })
    this.byType.set(type, list)
  }

  removeEventListener(type, handler) {
    const entry = this.byType.get(type)?.find((candidate) => candidate.handler === handler)
    if (entry) this.#drop(type, entry)
  }

  #drop(type, entry) {
    const list = this.byType.get(type) ?? []
    if (list.includes(entry)) list.splice(list.indexOf(entry), 1)
  }

  dispatchEvent(event) {
    const path = []
    for (let node = this; node; node = node.parentNode) path.push(node)
    Object.defineProperty(event, "target", { value: this, configurable: true })
    for (const node of event.bubbles ? path : [this]) {
      Object.defineProperty(event, "currentTarget", { value: node, configurable: true })
      for (const entry of [...(node.byType.get(event.type) ?? [])]) {
        if (entry.once || entry.signal?.aborted) node.#drop(event.type, entry)
        if (!entry.signal?.aborted) entry.handler.call(node, event)
      }
    }
    return !event.defaultPrevented
  }
}

class Node extends Listeners {
  constructor(ownerDocument) {
    super()
    this.ownerDocument = ownerDocument
    this.parentNode = null
    this.childNodes = []
  }

  get parentElement() {
    return this.parentNode instanceof Element ? this.parentNode : null
  }

  get isConnected() {
    let node = this
    while (node.parentNode) node = node.parentNode
    return node === this.ownerDocument
  }

  get children() {
    return this.childNodes.filter((node) => node instanceof Element)
  }

  get firstElementChild() {
    return this.children[0] ?? null
  }

  #siblings() {
    return this.parentNode ? this.parentNode.children : []
  }

  get nextElementSibling() {
    const siblings = this.#siblings()
    return siblings[siblings.indexOf(this) + 1] ?? null
  }

  get previousElementSibling() {
    const siblings = this.#siblings()
    return siblings[siblings.indexOf(this) - 1] ?? null
  }

  get textContent() {
    return this.childNodes.map((node) => node.textContent).join("")
  }

  set textContent(text) {
    this.replaceChildren(...(text === "" ? [] : [String(text)]))
  }

  contains(node) {
    for (let at = node; at; at = at.parentNode) if (at === this) return true
    return false
  }

  #adopt(nodes) {
    return nodes.map((node) => {
      const child = typeof node === "string" ? new Text(this.ownerDocument, node) : node
      child.remove()
      child.parentNode = this
      return child
    })
  }

  insertBefore(node, reference) {
    const [child] = this.#adopt([node])
    const at = reference ? this.childNodes.indexOf(reference) : -1
    this.childNodes.splice(at < 0 ? this.childNodes.length : at, 0, child)
    return node
  }

  append(...nodes) {
    this.childNodes.push(...this.#adopt(nodes))
  }

  prepend(...nodes) {
    this.childNodes.unshift(...this.#adopt(nodes))
  }

  replaceChildren(...nodes) {
    for (const child of [...this.childNodes]) child.remove()
    this.append(...nodes)
  }

  before(...nodes) {
    for (const node of nodes) this.parentNode.insertBefore(node, this)
  }

  after(...nodes) {
    const next = this.parentNode.childNodes[this.parentNode.childNodes.indexOf(this) + 1] ?? null
    for (const node of nodes) this.parentNode.insertBefore(node, next)
  }

  replaceWith(node) {
    this.before(node)
    this.remove()
  }

  remove() {
    const parent = this.parentNode
    if (!parent) return
    const document = this.ownerDocument
    if (this.contains(document.activeElement)) document.activeElement = document.body
    parent.childNodes.splice(parent.childNodes.indexOf(this), 1)
    this.parentNode = null
  }

  querySelectorAll(selector) {
    const tests = parseSelector(selector)
    const found = []
    const visit = (node) => {
      for (const child of node.children) {
        if (tests.some((test) => test(child))) found.push(child)
        visit(child)
      }
    }
    visit(this)
    return found
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null
  }
}

class Text extends Node {
  constructor(ownerDocument, data) {
    super(ownerDocument)
    this.data = data
  }

  get textContent() {
    return this.data
  }
}

function dataAttribute(key) {
  return `data-${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`
}

class Element extends Node {
  constructor(ownerDocument, tag) {
    super(ownerDocument)
    this.localName = tag.toLowerCase()
    this.tagName = tag.toUpperCase()
    this.attributes = new Map()
    this.hidden = false
    this.value = ""
    this.tabIndex = -1
    const element = this
    this.dataset = new Proxy(
      {},
      {
        get: (_, key) => element.getAttribute(dataAttribute(key)) ?? undefined,
        set: (_, key, value) => (element.setAttribute(dataAttribute(key), value), true),
        has: (_, key) => element.hasAttribute(dataAttribute(key)),
        deleteProperty: (_, key) => (element.removeAttribute(dataAttribute(key)), true),
      },
    )
    this.classList = {
      contains: (name) => element.#classes().includes(name),
      add: (...names) => element.setAttribute("class", [...new Set([...element.#classes(), ...names])].join(" ")),
      remove: (...names) =>
        element.setAttribute(
          "class",
          element
            .#classes()
            .filter((name) => !names.includes(name))
            .join(" "),
        ),
    }
  }

  #classes() {
    return (this.getAttribute("class") ?? "").split(/\s+/).filter(Boolean)
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value))
  }

  hasAttribute(name) {
    return this.attributes.has(name)
  }

  removeAttribute(name) {
    this.attributes.delete(name)
  }

  get id() {
    return this.getAttribute("id") ?? ""
  }

  set id(value) {
    this.setAttribute("id", value)
  }

  get className() {
    return this.getAttribute("class") ?? ""
  }

  // Reflected like the browser's: the attribute is what selectors and tests see.
  get disabled() {
    return this.hasAttribute("disabled")
  }

  set disabled(value) {
    if (value) this.setAttribute("disabled", "")
    else this.removeAttribute("disabled")
  }

  get draggable() {
    return this.getAttribute("draggable") === "true"
  }

  set draggable(value) {
    this.setAttribute("draggable", String(Boolean(value)))
  }

  matches(selector) {
    return parseSelector(selector).some((test) => test(this))
  }

  closest(selector) {
    for (let node = this; node instanceof Element; node = node.parentNode) if (node.matches(selector)) return node
    return null
  }

  focus() {
    this.ownerDocument.activeElement = this
  }

  getBoundingClientRect() {
    return { top: 0, height: 0, left: 0, width: 0 }
  }
}

class Document extends Node {
  constructor() {
    super(null)
    this.ownerDocument = this
    this.documentElement = new Element(this, "html")
    this.body = new Element(this, "body")
    this.documentElement.append(this.body)
    this.append(this.documentElement)
    this.activeElement = this.body
    this.cookie = ""
    this.readyState = "complete"
  }

  createElement(tag) {
    return new Element(this, tag)
  }
}

/**
 * A fresh document, installed as `globalThis.document` (and a `window` to listen on) until
 * `uninstall()`. `html(markup)` builds elements from a small, trusted subset of HTML.
 */
export function installDom() {
  const document = new Document()
  const window = new Listeners()
  globalThis.document = document
  globalThis.window = window
  return {
    document,
    window,
    html: (markup) => parseHtml(document, markup),
    uninstall() {
      delete globalThis.document
      delete globalThis.window
    },
  }
}

const VOID = new Set(["input", "img", "br"])
const TOKEN = /<\/([a-z]+)\s*>|<([a-z]+)((?:\s+[\w-]+(?:="[^"]*")?)*)\s*\/?>|([^<]+)/gy
const ATTRIBUTE = /([\w-]+)(?:="([^"]*)")?/g
// The character references Django's escaping writes into an attribute, read back as a browser does.
const ENTITIES = { "&quot;": '"', "&#x27;": "'", "&#39;": "'", "&lt;": "<", "&gt;": ">", "&amp;": "&" }
const unescape = (value) => value.replace(/&(?:quot|#x27|#39|lt|gt|amp);/g, (entity) => ENTITIES[entity])

/** The first element of `markup`: tags, double-quoted attributes (escaped as Django does) and text, nothing else. */
function parseHtml(document, markup) {
  const root = document.createElement("template")
  const open = [root]
  TOKEN.lastIndex = 0
  const text = markup.trim()
  while (TOKEN.lastIndex < text.length) {
    const match = TOKEN.exec(text)
    if (!match)
      throw new Error(`fake-dom cannot read ${JSON.stringify(text.slice(TOKEN.lastIndex, TOKEN.lastIndex + 30))}`)
    const [, closing, tag, attributes, words] = match
    if (closing) open.pop()
    else if (tag) {
      const element = document.createElement(tag)
      for (const [, name, value = ""] of attributes.matchAll(ATTRIBUTE)) element.setAttribute(name, unescape(value))
      open.at(-1).append(element)
      if (!VOID.has(tag)) open.push(element)
    } else if (words.trim()) open.at(-1).append(words.trim())
  }
  return root.firstElementChild
}
