python -m gensup show docs/examples/howto_pictures.py:SPEC
python -m gensup show docs/examples/howto_pictures.py:server 2>&1 ||
    echo "exit status $?"
