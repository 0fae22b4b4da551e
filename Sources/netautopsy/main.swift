import NetautopsyCLI

NetautopsyCommand.main()
