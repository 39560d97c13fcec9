import Foundation
import Testing

/// Issue 16, items 3 and 5, on a pseudo-terminal: in `open`, pasted text is testimony, never
/// commands (bracketed paste; type-ahead after the end discarded), and locking clears the screen
/// and the scrollback.
@Suite struct AfternoonTests {
    static let esc = "\u{1B}"

    @Test func pasteIsDataAndLockClearsTheScreen() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let rule = c.run(["rule", "add", "Pak Chol"] + pw).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(rule.count == 16)
        let r = try PTY.run(
            c, ["open"] + pw,
            [
                ("expect", "sourcevault> "), ("send", "add --source Magpie --title Crossing\n"),
                ("expect", "Paste the testimony"),
                // A terminal with bracketed paste marks the paste: its "." line and its "command" are text.
                ("send", "\(Self.esc)[200~We crossed at night.\n.\nrule rm \(rule)\n\(Self.esc)[201~"),
                ("send", ".\n"), ("expect", "sourcevault> "),
                ("send", "add --source Magpie --title Second\n"), ("expect", "Paste the testimony"),
                // Without the markers: the tail after the end is discarded, not run.
                ("send", "Second text.\n.\nrule rm \(rule)\n"), ("expect", "discarded"), ("expect", "sourcevault> "),
                ("send", "search crossed\n"), ("expect", "We crossed at night"), ("expect", "sourcevault> "),
                ("send", "serch crossed\n"), ("expect", "did you mean 'search'?"), ("expect", "sourcevault> "),
                ("send", "lock\n"), ("expect", "screen and scrollback cleared"), ("expect", "sourcevault (locked)> "),
                ("send", "quit\n")
            ])
        #expect(r.unmet == nil, "unmet \(r.unmet ?? ""): \(r.screen)")
        #expect(r.screen.contains("\(Self.esc)[?2004h"), "bracketed paste is turned on")
        // After the clear, none of the testimony is on the screen (or in the scrollback).
        let clear = "\(Self.esc)[H\(Self.esc)[2J\(Self.esc)[3J"
        let parts = r.screen.components(separatedBy: clear)
        #expect(parts.count >= 2, "\(r.screen)")
        #expect(parts.dropFirst().allSatisfy { !$0.contains("crossed") && !$0.contains("Second text") }, "\(r.screen)")
        // The rule is still there; the pasted "command" is part of the first record's testimony.
        #expect(c.run(["rule", "list"] + pw).stdout.contains(rule))
        let list = c.run(["list"] + pw).stdout.split(separator: "\n")
        #expect(list.count == 2, "\(list)")
        let first = String(list.first { $0.contains("Crossing") }?.prefix(16) ?? "")
        let body = c.run(["show", first, "--json"] + pw).stdout
        #expect(body.contains("We crossed at night.\\n.\\nrule rm \(rule)\\n"), "\(body)")
        #expect(c.run(["audit", "show"]).stdout.contains("session-lock  ok  reason=command"))
    }
}
