import Foundation
import SodiumKit

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    while let a = it.next(), let b = it.next() { out.append(nibble(a) << 4 | nibble(b)) }
    return out
}

func hexString(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

func secure(_ b: [UInt8]) throws -> SecureBytes { try SecureBytes(copying: b) }

func bytes(_ s: borrowing SecureBytes) -> [UInt8] { s.withUnsafeBytes { Array($0) } }
