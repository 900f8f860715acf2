def test_slovenian_browser_reads_slovenian_without_a_cookie(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="sl-SI,sl;q=0.9,en;q=0.5")
    page = response.content.decode()
    assert '<html lang="sl">' in page
    assert "Tecimo skupaj." in page
    assert "Politika zasebnosti" in page
    assert response["Content-Language"] == "sl"
    assert not response.cookies


def test_other_languages_fall_back_to_english(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert '<html lang="en">' in response.content.decode()
    assert "Run together." in response.content.decode()


def test_form_labels_are_translated(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sl").content.decode()
    assert ">E-pošta</label>" in page
    assert "Zapomni si me" in page
