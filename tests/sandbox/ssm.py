def install(state):
    pass
