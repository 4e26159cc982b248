from tierwise.cli.main import run

run()
