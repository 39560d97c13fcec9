import Foundation
import Testing

@testable import sourcevault

/// `--kdf` and `--format` parse into the library's enums; a bad value is one line, exit 2.
@Suite struct ChoiceArgumentTests {
    @Test func everyWordParses() {
        #expect(ChoiceArguments.all.map { $0.option } == ["--kdf", "--format", "--kind"])
        for type in ChoiceArguments.all {
            for word in type.words { #expect(type.init(argument: word)?.rawValue == word) }
            if type.option == "--kind" {
                // Fact kinds are written in capitals (AGE, PLACE) and read in any case.
                #expect(type.init(argument: type.words[0].lowercased())?.rawValue == type.words[0])
            } else {
                #expect(type.init(argument: type.words[0].uppercased()) == nil)
            }
            #expect(type.init(argument: "pdf") == nil)
        }
    }

    @Test func badValueIsOneLineThatNamesTheWordsNotTheValue() throws {
        let c = CLI()
        let kdf =
            "sourcevault: --kdf must be one of: interactive, moderate, sensitive, test"
            + " (see 'sourcevault --help')\n"
        for command in [["init"], ["passwd"], ["rekey"]] {
            let r = c.run(command + ["--kdf", "KimCanary"] + pw)
            #expect(r.status == 2 && r.stderr == kdf && r.stdout.isEmpty, "\(command): \(r.stderr)")
        }
        #expect(c.run(["init", "--kdf=moderate-ish"] + pw).stderr == kdf)
        let format = c.run(["export", "abcd", "--format", "KimCanary"] + pw)
        #expect(format.status == 2)
        #expect(format.stderr == "sourcevault: --format must be text, markdown or json (see 'sourcevault --help')\n")
        // Other parse errors are left as they were.
        let other = "The value 'x' is invalid for '--idle-timeout <SECONDS>'"
        #expect(ChoiceArguments.message(forParseError: other) == nil)
        #expect(ChoiceArguments.message(forParseError: "Missing value for '--kdf <PROFILE>'") == nil)
    }

    @Test func helpStillNamesTheWordsItself() {
        let c = CLI()
        let help = c.run(["init", "--help"], vaultFlag: false).stdout
        #expect(help.contains("interactive, moderate") && !help.contains("(values:"))
        let export = c.run(["export", "--help"], vaultFlag: false).stdout
        #expect(export.contains("text, markdown or json. (default: text)"))
    }
}
