"""factory_boy factories; states are subclasses (DraftArticleFactory)."""

from datetime import timedelta

import factory
from django.utils import timezone

from news.models import Article, Section, Source
from newsletter.models import Subscriber
from resources.models import Author, Category, Country, Region, Resource, ResourceAuthor


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class NewsFlashSectionFactory(SectionFactory):
    name = "News Flash"
    slug = "news-flash"


class ResourceCenterSectionFactory(SectionFactory):
    name = "European Resource Center"
    slug = "european-resource-center"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Source {n}")
    home_page = factory.LazyAttribute(
        lambda o: f"https://{o.name.lower().replace(' ', '')}.example"
    )


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article, in the past; pass tags=[...] (names) to tag it."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    body = "<p>Police in two countries dismantled a trafficking network.</p>"
    section = factory.SubFactory(NewsFlashSectionFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.Sequence(lambda n: timezone.now() - timedelta(hours=n + 1))

    @factory.post_generation
    def tags(self, create: bool, extracted, **kwargs) -> None:
        if extracted:
            self.tags.add(*extracted)


class DraftArticleFactory(ArticleFactory):
    status = Article.Status.DRAFT


class ScheduledArticleFactory(ArticleFactory):
    published_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class ArticleWithImageFactory(ArticleFactory):
    """A published article with a featured image; point MEDIA_ROOT at a temporary folder."""

    image = factory.django.ImageField(
        filename="shelter.jpg", format="JPEG", width=1200, height=675, color="#12304f"
    )
    image_alt = "Two social workers talk with a young woman outside a shelter."
    image_caption = "A shelter run by La Strada in Warsaw."
    image_credit = "mockup design by rawpixel.com on Freepik"
    image_licence = "Freepik licence"
    image_licence_url = "https://www.freepik.com/legal/terms-of-use"


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Country {n}")
    slug = factory.Sequence(lambda n: f"country-{n}")


class RegionFactory(CountryFactory):
    class Meta:
        model = Region
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Region {n}")
    slug = factory.Sequence(lambda n: f"region-{n}")


class CategoryFactory(CountryFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Author {n}")
    sort_name = factory.LazyAttribute(lambda o: o.name)
    slug = factory.Sequence(lambda n: f"author-{n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    """A published resource; pass authors=[...] to set them in order."""

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Resource {n}")
    slug = factory.Sequence(lambda n: f"resource-{n}")
    summary = "A report on trafficking for labour exploitation."
    year = 2020
    category = factory.SubFactory(CategoryFactory)
    status = Resource.Status.PUBLISHED
    published_at = factory.Sequence(lambda n: timezone.now() - timedelta(hours=n + 1))

    @factory.post_generation
    def authors(self, create: bool, extracted, **kwargs) -> None:
        for position, author in enumerate(extracted or []):
            ResourceAuthor.objects.create(resource=self, author=author, position=position)

    @factory.post_generation
    def countries(self, create: bool, extracted, **kwargs) -> None:
        if extracted:
            self.countries.set(extracted)

    @factory.post_generation
    def regions(self, create: bool, extracted, **kwargs) -> None:
        if extracted:
            self.regions.set(extracted)

    @factory.post_generation
    def search_terms(self, create: bool, extracted, **kwargs) -> None:
        # The relations above are set after save(): copy their names for the search.
        if create:
            Resource.objects.filter(pk=self.pk).refresh_search_terms()


class DraftResourceFactory(ResourceFactory):
    status = Resource.Status.DRAFT


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    status = Subscriber.Status.PENDING


class ConfirmedSubscriberFactory(SubscriberFactory):
    status = Subscriber.Status.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)
