"""factory_boy factories for newsletter issues; states are subclasses (SentIssueFactory)."""

from datetime import timedelta

import factory
from django.utils import timezone

from newsletter.models import Issue


class IssueFactory(factory.django.DjangoModelFactory):
    """An issue still being composed; pass articles=[...] and resources=[...] to feature them."""

    class Meta:
        model = Issue
        skip_postgeneration_save = True

    subject = factory.Sequence(lambda n: f"Newsletter {n}")
    slug = factory.Sequence(lambda n: f"newsletter-{n}")
    introduction = "<p>This month: new guidance on labour exploitation.</p>"

    @factory.post_generation
    def articles(self, create: bool, extracted, **kwargs) -> None:
        if extracted:
            self.articles.set(extracted)

    @factory.post_generation
    def resources(self, create: bool, extracted, **kwargs) -> None:
        if extracted:
            self.resources.set(extracted)


class SentIssueFactory(IssueFactory):
    """An issue already queued for sending: the later in the sequence, the older."""

    queued_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=n + 1))
