"""An email backend for tests: delivers like locmem (into mail.outbox) but
raises for the addresses it is told to refuse, a given number of times."""

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FlakyBackend(LocmemBackend):
    # address -> [exception to raise, how many more times (None: always)]
    refusals: dict = {}
    attempts: list = []

    @classmethod
    def reset(cls):
        cls.refusals = {}
        cls.attempts = []

    @classmethod
    def refuse(cls, address, error, times=None):
        cls.refusals[address] = [error, times]

    def send_messages(self, messages):
        sent = 0
        for message in messages:
            (address,) = message.to
            self.attempts.append(address)
            refusal = self.refusals.get(address)
            if refusal and refusal[1] != 0:
                if refusal[1] is not None:
                    refusal[1] -= 1
                raise refusal[0]
            sent += super().send_messages([message])
        return sent
