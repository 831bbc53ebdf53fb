"""uWSGI's decorators, as uwsgid provides them.

The names are uWSGI 2.0.31's. What uwsgid supports works: @postfork, @lock,
@thread, the spooler's @spool, @spoolforever, @spoolraw, the signal
decorators @signal, @timer, @mstimer, @rbtimer, @cron, @filemon (each of
the last five takes a free signal number, the lowest not registered, unless
given signum=N), and the mule decorators @mulefunc, @mule, @muleloop,
@mulemsg, @farm. The others need features uwsgid does not have yet (RPC):
they raise
uwsgi.UnsupportedError when applied, as uWSGI fails when the feature is not
configured, instead of an AttributeError deep inside a library.
"""

import pickle
import sys
import threading
from functools import partial

import uwsgi

if uwsgi.masterpid() == 0:
    raise Exception("you have to enable the uWSGI master process to use this module")

postfork_chain = []
spooler_functions = {}
mule_functions = {}


def _unsupported(name):
    return uwsgi.UnsupportedError(
        "uwsgidecorators.%s is not supported by uwsgid" % name)


def postfork_chain_hook():
    """Runs every @postfork function: uwsgid calls it after each fork."""
    for function in postfork_chain:
        function()


uwsgi.post_fork_hook = postfork_chain_hook


class postfork(object):
    """Runs the function in every worker after its fork, or, given a worker
    id (@postfork(2)), in that worker only."""

    def __init__(self, f):
        if callable(f):
            self.wid = 0
            self.f = f
        else:
            self.wid = f
            self.f = None
        postfork_chain.append(self)

    def __call__(self, *args, **kwargs):
        if self.f is None:
            # @postfork(N): the function comes now.
            self.f = args[0]
            return self
        if self.wid > 0 and self.wid != uwsgi.worker_id():
            return None
        return self.f()


class lock(object):
    """Runs the function holding user lock 0, shared by every worker."""

    def __init__(self, f):
        self.f = f

    def __call__(self, *args, **kwargs):
        if uwsgi.i_am_the_spooler():
            return None
        uwsgi.lock()
        try:
            return self.f(*args, **kwargs)
        finally:
            uwsgi.unlock()


class thread(object):
    """Runs each call of the function in a new daemon thread."""

    def __init__(self, f):
        self.f = f

    def __call__(self, *args):
        t = threading.Thread(target=self.f, args=args)
        t.daemon = True
        t.start()
        return self.f


def get_free_signal():
    for signum in range(0, 256):
        if not uwsgi.signal_registered(signum):
            return signum

    raise Exception("No free uwsgi signal available")


def _refuse(name):
    class refused(object):
        def __init__(self, *args, **kwargs):
            raise _unsupported(name)

    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = "Not supported by uwsgid: raises uwsgi.UnsupportedError."
    return refused


class signal(object):
    """Registers the function as the handler of signal num (target= where
    the master sends it: a worker by default)."""

    def __init__(self, num, **kwargs):
        self.num = num
        self.target = kwargs.get('target', '')

    def __call__(self, f):
        uwsgi.register_signal(self.num, self.target, f)
        return f


class timer(object):
    """Runs the function every secs seconds."""

    def __init__(self, secs, **kwargs):
        self.num = kwargs.get('signum', get_free_signal())
        self.secs = secs
        self.target = kwargs.get('target', '')

    def __call__(self, f):
        uwsgi.register_signal(self.num, self.target, f)
        uwsgi.add_timer(self.num, self.secs)
        return f


class mstimer(object):
    """Runs the function every msecs milliseconds."""

    def __init__(self, msecs, **kwargs):
        self.num = kwargs.get('signum', get_free_signal())
        self.msecs = msecs
        self.target = kwargs.get('target', '')

    def __call__(self, f):
        uwsgi.register_signal(self.num, self.target, f)
        uwsgi.add_ms_timer(self.num, self.msecs)
        return f


class cron(object):
    """Runs the function when the local time matches (negative: every N)."""

    def __init__(self, minute, hour, day, month, dayweek, **kwargs):
        self.num = kwargs.get('signum', get_free_signal())
        self.minute = minute
        self.hour = hour
        self.day = day
        self.month = month
        self.dayweek = dayweek
        self.target = kwargs.get('target', '')

    def __call__(self, f):
        uwsgi.register_signal(self.num, self.target, f)
        uwsgi.add_cron(self.num, self.minute, self.hour,
                       self.day, self.month, self.dayweek)
        return f


class rbtimer(object):
    """Runs the function every secs seconds (uWSGI's red-black timer)."""

    def __init__(self, secs, **kwargs):
        self.num = kwargs.get('signum', get_free_signal())
        self.secs = secs
        self.target = kwargs.get('target', '')

    def __call__(self, f):
        uwsgi.register_signal(self.num, self.target, f)
        uwsgi.add_rb_timer(self.num, self.secs)
        return f


class filemon(object):
    """Runs the function when the file or directory fsobj changes."""

    def __init__(self, fsobj, **kwargs):
        self.num = kwargs.get('signum', get_free_signal())
        self.fsobj = fsobj
        self.target = kwargs.get('target', '')

    def __call__(self, f):
        uwsgi.register_signal(self.num, self.target, f)
        uwsgi.add_file_monitor(self.num, self.fsobj)
        return f


class harakiri(object):
    """The master kills the worker if the function runs longer than
    `seconds` (`uwsgi.set_user_harakiri`); the timer is cleared when it
    returns or raises (uWSGI's leaves it set after an exception)."""

    def __init__(self, seconds):
        self.s = seconds

    def real_call(self, *args, **kwargs):
        uwsgi.set_user_harakiri(self.s)
        try:
            return self.f(*args, **kwargs)
        finally:
            uwsgi.set_user_harakiri(0)

    def __call__(self, f):
        self.f = f
        return self.real_call


class mulefunc(object):
    """Calling the function sends it to a mule (any one, or the mule id or
    farm name given: @mulefunc(2), @mulefunc('crunch')), which runs it."""

    def __init__(self, f):
        if callable(f):
            self.fname = f.__name__
            self.mule = 0
            mule_functions[f.__name__] = f
        else:
            self.mule = f
            self.fname = None

    def real_call(self, *args, **kwargs):
        uwsgi.mule_msg(pickle.dumps(
            {
                'service': 'uwsgi_mulefunc',
                'func': self.fname,
                'args': args,
                'kwargs': kwargs
            }
        ), self.mule)

    def __call__(self, *args, **kwargs):
        if not self.fname:
            self.fname = args[0].__name__
            mule_functions[self.fname] = args[0]
            return self.real_call

        return self.real_call(*args, **kwargs)


def mule_msg_dispatcher(message):
    """What a bare mule calls with each message: runs @mulefunc calls."""
    msg = pickle.loads(message)
    if msg['service'] == 'uwsgi_mulefunc':
        return mule_functions[msg['func']](*msg['args'], **msg['kwargs'])


uwsgi.mule_msg_hook = mule_msg_dispatcher


class farm_loop(object):

    def __init__(self, f, farm):
        self.f = f
        self.farm = farm

    def __call__(self):
        if uwsgi.mule_id() == 0:
            return
        if not uwsgi.in_farm(self.farm):
            return
        while True:
            message = uwsgi.farm_get_msg()
            if message:
                self.f(message)


class farm(object):
    """In each mule of the farm, the function gets every farm message."""

    def __init__(self, name=None, **kwargs):
        self.name = name

    def __call__(self, f):
        postfork_chain.append(farm_loop(f, self.name))


class mule_brain(object):

    def __init__(self, f, num):
        self.f = f
        self.num = num

    def __call__(self):
        if uwsgi.mule_id() == self.num:
            try:
                self.f()
            except:
                exc = sys.exc_info()
                sys.excepthook(exc[0], exc[1], exc[2])
                sys.exit(1)


class mule_brainloop(mule_brain):

    def __call__(self):
        if uwsgi.mule_id() == self.num:
            while True:
                try:
                    self.f()
                except:
                    exc = sys.exc_info()
                    sys.excepthook(exc[0], exc[1], exc[2])
                    sys.exit(1)


class mule(object):
    """Mule num runs the function once it started (@mule(1))."""

    def __init__(self, num):
        self.num = num

    def __call__(self, f):
        postfork_chain.append(mule_brain(f, self.num))


class muleloop(mule):
    """Mule num runs the function again and again."""

    def __call__(self, f):
        postfork_chain.append(mule_brainloop(f, self.num))


class mulemsg_loop(object):

    def __init__(self, f, num):
        self.f = f
        self.num = num

    def __call__(self):
        if uwsgi.mule_id() == self.num:
            while True:
                message = uwsgi.mule_get_msg()
                if message:
                    self.f(message)


class mulemsg(object):
    """Mule num calls the function with each message it gets."""

    def __init__(self, num):
        self.num = num

    def __call__(self, f):
        postfork_chain.append(mulemsg_loop(f, self.num))


rpc = _refuse("rpc")
erlang = _refuse("erlang")


# The spooler's decorators, as uWSGI's: the task's vars go to the spooler
# as bytes (str keys and values are encoded as UTF-8), and come back to the
# function decoded.

def _encode1(val):
    if isinstance(val, str):
        return val.encode('utf-8')
    return val


def _decode1(val):
    if isinstance(val, bytes):
        return val.decode('utf-8')
    return val


def _encode_to_spooler(vars):
    return dict((_encode1(K), _encode1(V)) for (K, V) in vars.items())


def _decode_from_spooler(vars):
    return dict((_decode1(K), _decode1(V)) for (K, V) in vars.items())


def manage_spool_request(vars):
    """uwsgi.spooler: runs the function a task names (ud_spool_func)."""
    vars = dict((_decode1(K), V) for (K, V) in vars.items())
    if 'args' in vars:
        for k in ('args', 'kwargs'):
            vars[k] = pickle.loads(vars.pop(k))

    vars = _decode_from_spooler(vars)
    f = spooler_functions[vars['ud_spool_func']]

    if 'args' in vars:
        ret = f(*vars['args'], **vars['kwargs'])
    else:
        ret = f(vars)

    return int(vars.get('ud_spool_ret', ret))


uwsgi.spooler = manage_spool_request


class _spoolraw(object):
    """Calling the decorated function spools a task that runs it in the
    spooler; its return value is the task's (SPOOL_OK, SPOOL_RETRY, ...)."""

    def __call__(self, *args, **kwargs):
        arguments = self.base_dict.copy()
        if not self.pass_arguments:
            if len(args) > 0:
                arguments.update(args[0])
            if kwargs:
                arguments.update(kwargs)
        else:
            spooler_args = {}
            for key in ('message_dict', 'spooler', 'priority', 'at', 'body'):
                if key in kwargs:
                    spooler_args.update({key: kwargs.pop(key)})
            arguments.update(spooler_args)
            arguments.update(
                {'args': pickle.dumps(args), 'kwargs': pickle.dumps(kwargs)})
        return uwsgi.spool(_encode_to_spooler(arguments))

    # uWSGI < 1.9.13 called f.spool(...).
    def spool(self, *args, **kwargs):
        return self.__class__.__call__(self, *args, **kwargs)

    def __init__(self, f, pass_arguments):
        if 'spooler' not in uwsgi.opt:
            raise Exception(
                "you have to enable the uWSGI spooler to use @%s decorator"
                % self.__class__.__name__)
        self.f = f
        spooler_functions[self.f.__name__] = self.f
        self.f.spool = self.__call__
        self.pass_arguments = pass_arguments
        self.base_dict = {'ud_spool_func': self.f.__name__}


class _spool(_spoolraw):
    """The task is deleted once the function returns (SPOOL_OK)."""

    def __call__(self, *args, **kwargs):
        self.base_dict['ud_spool_ret'] = str(uwsgi.SPOOL_OK)
        return _spoolraw.__call__(self, *args, **kwargs)


class _spoolforever(_spoolraw):
    """The task runs again on every scan (SPOOL_RETRY)."""

    def __call__(self, *args, **kwargs):
        self.base_dict['ud_spool_ret'] = str(uwsgi.SPOOL_RETRY)
        return _spoolraw.__call__(self, *args, **kwargs)


def spool_decorate(f=None, pass_arguments=False, _class=_spoolraw):
    if not f:
        return partial(_class, pass_arguments=pass_arguments)
    return _class(f, pass_arguments)


def spoolraw(f=None, pass_arguments=False):
    return spool_decorate(f, pass_arguments)


def spool(f=None, pass_arguments=False):
    return spool_decorate(f, pass_arguments, _spool)


def spoolforever(f=None, pass_arguments=False):
    return spool_decorate(f, pass_arguments, _spoolforever)

