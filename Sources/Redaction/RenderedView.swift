/// Another reading of a text, as some reader would see it, with the offset in the original text
/// of every byte, so a hit in the view is reported on the original's line.
struct TextView {
    enum Kind { case rendered, reversed }
    var kind: Kind
    var bytes: [UInt8] = []
    /// Where the bytes come from, compressed: bytes copied from consecutive bytes of the original
    /// are one run (its first byte in the view, and in the original). A view is mostly such runs,
    /// so this takes a fraction of an offset per byte. Kept in blocks of a fixed size rather than
    /// one array: an array doubles as it grows, and the view of 2 MiB of markup (a run every ten
    /// bytes) held 4 MiB of room for its 2.3 MiB of runs at the export's peak.
    private var blocks: [[UInt64]] = []  // each: view offset << 32 | original offset, ascending
    private var last = -2
    static let blockSize = 1 << 15

    init(kind: Kind) { self.kind = kind }

    @inline(__always) private mutating func addRun(_ offset: Int) {
        if blocks.isEmpty || blocks[blocks.count - 1].count == TextView.blockSize {
            var block: [UInt64] = []
            block.reserveCapacity(TextView.blockSize)
            blocks.append(block)
        }
        blocks[blocks.count - 1].append(UInt64(bytes.count) << 32 | UInt64(offset))
    }

    @inline(__always) mutating func append(_ byte: UInt8, from offset: Int) {
        if offset != last + 1 { addRun(offset) }
        last = offset
        bytes.append(byte)
    }

    mutating func append(scalar: UInt32, from offset: Int) {
        Folder.utf8(scalar) { _, byte in
            addRun(offset)  // every byte stands for the reference
            last = -2
            bytes.append(byte)
        }
    }

    /// Offset in the original of view byte `i`.
    func origin(_ i: Int) -> Int {
        // The last block whose first run starts at or before i, then the last run in it that does.
        var lo = 0, hi = blocks.count
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if Int(blocks[mid][0] >> 32) <= i { lo = mid } else { hi = mid }
        }
        guard lo < blocks.count, !blocks[lo].isEmpty else { return 0 }
        let runs = blocks[lo]
        var a = 0, b = runs.count
        while b - a > 1 {
            let mid = (a + b) / 2
            if Int(runs[mid] >> 32) <= i { a = mid } else { b = mid }
        }
        return Int(runs[a] & 0xFFFF_FFFF) + (i - Int(runs[a] >> 32))
    }
}

/// The text a reader sees when it reaches an HTML renderer (a CMS, a chat client, a browser shown
/// markdown with raw HTML in it), by the WHATWG tokenizer's rules for text: comments, tags,
/// doctypes and processing instructions removed however long they are and across line breaks
/// (quoted attribute values may hold '>'), an unclosed comment or tag hides the rest of the
/// text, the contents of `script`, `style`, `title` and the other elements whose text is never
/// shown removed, and character references decoded. Markdown link destinations (`[text](url)`:
/// only "text" is shown) are removed too.
///
/// A second view also removes the contents of elements that may be hidden (a `hidden` or `style`
/// attribute, `template`), for when the renderer honours them; it is made only if there are any.
enum RenderedView {
    /// The views that differ from the text; empty for text no renderer would change.
    static func views(of b: [UInt8]) -> [TextView] {
        var out: [TextView] = []
        forEachView(of: b) { out.append($0) }
        return out
    }

    /// Calls `body` with each view that differs from the text, one at a time (each is let go
    /// before the next is made).
    static func forEachView(of b: [UInt8], _ body: (TextView) -> Void) {
        // Skipped only when the text has none of the bytes that make a view differ: no '<' (tags,
        // comments), no '&' (references) and no "](" (link destinations).
        let markup = TextSupport.firstOffset(of: 0x3C, in: b) != nil || TextSupport.firstOffset(of: 0x26, in: b) != nil
        let destinations = TextSupport.firstOffset(of: 0x28, in: b) != nil ? linkDestinations(b) : [:]
        guard markup || !destinations.isEmpty else { return }
        var sawConcealer = false
        do {
            var r = Renderer(b, destinations: destinations, dropConcealed: false)
            r.run()
            guard r.changed else { return }
            sawConcealer = r.sawConcealer
            body(r.view)
        }
        if sawConcealer {
            var hidden = Renderer(b, destinations: destinations, dropConcealed: true)
            hidden.run()
            body(hidden.view)
        }
    }

    /// Elements whose text a browser never shows: raw text up to their end tag.
    static let hiddenRawText: Set<[UInt8]> = Set(
        [
            "script", "style", "title", "xmp", "iframe", "noembed",
            "noframes", "noscript"
        ].map { Array($0.utf8) })
    static let voidElements: Set<[UInt8]> = Set(
        [
            "area", "base", "br", "col", "embed", "hr", "img", "input",
            "keygen", "link", "meta", "param", "source", "track", "wbr"
        ]
        .map { Array($0.utf8) })

    /// For each `(` that directly follows `]`, the index of its matching `)`, found in one pass.
    static func linkDestinations(_ b: [UInt8]) -> [Int: Int] {
        var out: [Int: Int] = [:]
        var open: [Int] = []
        for (i, c) in b.enumerated() {
            if c == 0x28 {
                open.append(i)
            } else if c == 0x29, let o = open.popLast(), o > 0, b[o - 1] == 0x5D {
                out[o] = i
            } else if c == 0x0A, i + 1 < b.count, b[i + 1] == 0x0A {
                open.removeAll()  // a blank line ends any link
            }
        }
        return out
    }

    struct Tag {
        var end: Int
        var name: [UInt8] = []
        var isEnd = false
        var selfClosing = false
        var conceals = false
    }

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D
    }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c | (isAlpha(c) ? 0x20 : 0) }

    /// The markup starting at `i` (`b[i]` is '<'), or nil if this '<' is text.
    static func markup(_ b: [UInt8], at i: Int) -> Tag? {
        let n = b.count
        var j = i + 1
        guard j < n else { return nil }
        func until(_ byte: UInt8, from k: Int) -> Int {
            var k = k
            while k < n, b[k] != byte { k += 1 }
            return min(k + 1, n)
        }
        switch b[j] {
        case 0x21:  // <!
            guard j + 2 < n, b[j + 1] == 0x2D, b[j + 2] == 0x2D else { return Tag(end: until(0x3E, from: j)) }
            var k = j + 3
            if k < n, b[k] == 0x3E { return Tag(end: k + 1) }  // <!-->
            if k + 1 < n, b[k] == 0x2D, b[k + 1] == 0x3E { return Tag(end: k + 2) }  // <!--->
            while k + 2 < n {
                if b[k] == 0x2D, b[k + 1] == 0x2D {
                    if b[k + 2] == 0x3E { return Tag(end: k + 3) }
                    if b[k + 2] == 0x21, k + 3 < n, b[k + 3] == 0x3E { return Tag(end: k + 4) }
                }
                k += 1
            }
            return Tag(end: n)  // an unclosed comment runs to the end
        case 0x3F:  // <?
            return Tag(end: until(0x3E, from: j))
        case 0x2F:  // </
            j += 1
            guard j < n else { return nil }
            if b[j] == 0x3E { return Tag(end: j + 1) }
            guard isAlpha(b[j]) else { return Tag(end: until(0x3E, from: j)) }
            var t = tag(b, nameAt: j)
            t.isEnd = true
            return t
        default:
            guard isAlpha(b[j]) else { return nil }
            return tag(b, nameAt: j)
        }
    }

    /// A start or end tag whose name starts at `j`: its name (lower case), where it ends, and
    /// whether it is self-closing or carries an attribute that may hide its contents.
    static func tag(_ b: [UInt8], nameAt j: Int) -> Tag {
        let n = b.count
        var k = j
        var name: [UInt8] = []
        while k < n, !isSpace(b[k]), b[k] != 0x2F, b[k] != 0x3E {
            name.append(lower(b[k])); k += 1
        }
        var t = Tag(end: n, name: name)
        t.conceals = name == Array("template".utf8)
        // The tokenizer's attribute states, reduced to what decides where the tag ends.
        enum State { case beforeName, name, afterName, beforeValue, quoted(UInt8), unquoted }
        var state = State.beforeName
        var attr: [UInt8] = []
        func endAttr() {
            if attr == Array("hidden".utf8) || attr == Array("style".utf8) { t.conceals = true }
        }
        func finish(_ k: Int) -> Tag {
            t.end = k + 1
            t.selfClosing = k > j && b[k - 1] == 0x2F
            return t
        }
        while k < n {
            let c = b[k]
            switch state {
            case .beforeName:
                if c == 0x3E { return finish(k) }
                if !isSpace(c) && c != 0x2F { attr = [lower(c)]; state = .name }
            case .name:
                if c == 0x3E { endAttr(); return finish(k) }
                if c == 0x3D {
                    endAttr(); state = .beforeValue
                } else if isSpace(c) || c == 0x2F {
                    endAttr(); state = c == 0x2F ? .beforeName : .afterName
                } else {
                    attr.append(lower(c))
                }
            case .afterName:
                if c == 0x3E { return finish(k) }
                if c == 0x3D {
                    state = .beforeValue
                } else if c == 0x2F {
                    state = .beforeName
                } else if !isSpace(c) {
                    attr = [lower(c)]; state = .name
                }
            case .beforeValue:
                if c == 0x22 || c == 0x27 {
                    state = .quoted(c)
                } else if c == 0x3E {
                    return finish(k)
                } else if !isSpace(c) {
                    state = .unquoted
                }
            case .quoted(let q):
                if c == q { state = .beforeName }
            case .unquoted:
                if c == 0x3E { return finish(k) }
                if isSpace(c) { state = .beforeName }
            }
            k += 1
        }
        if case .name = state { endAttr() }
        return t  // an unclosed tag runs to the end
    }

    struct Renderer {
        let b: [UInt8]
        let destinations: [Int: Int]
        let dropConcealed: Bool
        var view = TextView(kind: .rendered)
        var changed = false
        var sawConcealer = false
        /// While dropping a concealing element's contents: its name and nesting depth.
        var concealing: [UInt8]? = nil
        var depth = 0

        init(_ b: [UInt8], destinations: [Int: Int], dropConcealed: Bool) {
            self.b = b; self.destinations = destinations; self.dropConcealed = dropConcealed
            view.bytes.reserveCapacity(b.count)
        }

        @inline(__always) mutating func emit(_ byte: UInt8, _ offset: Int) {
            if concealing == nil { view.append(byte, from: offset) }
        }

        mutating func run() {
            let n = b.count
            var i = 0
            while i < n {
                let c = b[i]
                if c == 0x3C, let t = RenderedView.markup(b, at: i) {
                    changed = true
                    if t.conceals { sawConcealer = true }
                    track(t)
                    i = t.end
                    if !t.isEnd, !t.selfClosing, RenderedView.hiddenRawText.contains(t.name) {
                        i = endOfRawText(t.name, from: i)
                    }
                    continue
                }
                if c == 0x26, let r = HTMLEntities.reference(b, at: i) {
                    changed = true
                    if concealing == nil { for s in r.scalars { view.append(scalar: s, from: i) } }
                    i = r.end
                    continue
                }
                if c == 0x5D, i + 1 < n, let close = destinations[i + 1] {
                    changed = true
                    i = close + 1
                    continue
                }
                emit(c, i)
                i += 1
            }
        }

        /// Follows elements whose contents this view drops.
        mutating func track(_ t: Tag) {
            guard dropConcealed, !t.name.isEmpty else { return }
            if let name = concealing {
                guard t.name == name, !t.selfClosing else { return }
                depth += t.isEnd ? -1 : 1
                if depth == 0 { concealing = nil }
            } else if t.conceals, !t.isEnd, !t.selfClosing, !RenderedView.voidElements.contains(t.name) {
                concealing = t.name
                depth = 1
            }
        }

        /// Where the end tag of a raw-text element begins (its text is skipped), or the end.
        func endOfRawText(_ name: [UInt8], from start: Int) -> Int {
            let n = b.count
            var k = start
            while k + 1 + name.count < n {
                if b[k] == 0x3C, b[k + 1] == 0x2F {
                    var m = 0
                    while m < name.count, RenderedView.lower(b[k + 2 + m]) == name[m] { m += 1 }
                    let after = k + 2 + name.count
                    if m == name.count,
                        after >= n || RenderedView.isSpace(b[after]) || b[after] == 0x2F || b[after] == 0x3E
                    {
                        return k
                    }
                }
                k += 1
            }
            return n
        }
    }
}
