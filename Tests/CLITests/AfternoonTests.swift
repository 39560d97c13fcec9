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

    /// The issue's "done when": a reporter's afternoon on a terminal, every step through the real
    /// binary: create, add with a wrong alias (refused before the title and the paste), paste with a
    /// command in it, lock (nothing left on screen), rm with confirmation, travel out.
    @Test func theReportersAfternoon() throws {
        let c = CLI()
        let pass = "correct horse battery staple"
        let created = try PTY.run(
            c, ["init", "--kdf", "test"],
            [("expect", "New passphrase"), ("send", "\(pass)\n"), ("expect", "Repeat"), ("send", "\(pass)\n")])
        #expect(created.status == 0 && created.screen.contains("Recovery key: ") && !created.screen.contains(pass))
        try c.addSource("Magpie")
        let wrongAlias = try PTY.run(
            c, ["add"], [("expect", "Passphrase for"), ("send", "\(pass)\n"), ("expect", "Source alias: "), ("send", "Magpei\n")])
        #expect(wrongAlias.status == 4 && !wrongAlias.screen.contains("Title:") && !wrongAlias.screen.contains("Paste"))
        let rule = c.run(["rule", "add", "Pak Chol"] + pw).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let session = try PTY.run(
            c, ["open"],
            [
                ("expect", "Passphrase for"), ("send", "\(pass)\n"), ("expect", "sourcevault> "),
                ("send", "add --source Magpie --title Crossing\n"), ("expect", "Paste the testimony"),
                ("send", "\(Self.esc)[200~Pak Chol paid the broker.\n.\nrule rm \(rule)\n\(Self.esc)[201~"), ("send", ".\n"),
                ("expect", "sourcevault> "), ("send", "search broker\n"), ("expect", "Pak Chol paid the broker."),
                ("expect", "sourcevault> "), ("send", "lock\n"), ("expect", "sourcevault (locked)> "), ("send", "quit\n")
            ])
        #expect(session.unmet == nil, "\(session.screen)")
        let afterLock = session.screen.components(separatedBy: "\(Self.esc)[3J").last ?? session.screen
        #expect(session.screen.contains("\(Self.esc)[3J") && !afterLock.contains("Pak Chol") && !afterLock.contains("broker"))
        #expect(c.run(["rule", "list"] + pw).stdout.contains(rule), "the pasted command did not run")
        let id = String(c.run(["list"] + pw).stdout.prefix(16))
        let rm = try PTY.run(
            c, ["rm", id],
            [
                ("expect", "Passphrase for"), ("send", "\(pass)\n"), ("expect", "Crossing"), ("expect", "Delete it? [y/N] "),
                ("send", "y\n")
            ])
        #expect(rm.status == 0 && rm.screen.contains("Deleted record \(id)"), "\(rm.screen)")
        let travel = try PTY.run(
            c, ["travel", "out", "--to", c.root + "/slots.svt"],
            [
                ("expect", "Passphrase for"), ("send", "\(pass)\n"), ("expect", "Go into travel mode? [y/N] "), ("send", "y\n"),
                ("expect", "New travel passphrase"), ("send", "\(pass)\n"), ("expect", "Repeat"), ("send", "\(pass)\n")
            ])
        #expect(travel.status == 2 && travel.screen.contains("must not be the vault passphrase"), "\(travel.screen)")
        let again = try PTY.run(
            c, ["travel", "out", "--to", c.root + "/slots.svt"],
            [
                ("expect", "Passphrase for"), ("send", "\(pass)\n"), ("expect", "[y/N] "), ("send", "y\n"),
                ("expect", "New travel passphrase"), ("send", "seven orange lanterns drift\n"), ("expect", "Repeat"),
                ("send", "seven orange lanterns drift\n")
            ])
        #expect(again.status == 0, "\(again.screen)")
        let locked = try PTY.run(c, ["list"], [])
        #expect(locked.status == 3 && locked.screen.contains("travel mode") && !locked.screen.contains("Passphrase for"))
    }
}
