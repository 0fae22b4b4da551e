import FuzzHarness

@main struct Fuzz {
    static func main() { FuzzTarget.main(.classify) }
}
