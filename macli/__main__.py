from macli.cli import main

main()
