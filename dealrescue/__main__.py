from dealrescue.cli.main import main

main()
