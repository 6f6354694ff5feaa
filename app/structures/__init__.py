"""Structures d'accueil: the register of habilitated host structures and of their posts, filled by the
decisions on applications (app/structures/register.py) and read by the back office."""
