from orgsite.cli import main

main()
