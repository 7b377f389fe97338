from contest import create_app

app = create_app()
