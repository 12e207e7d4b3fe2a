from dealrescue.cli.app import main

main()
